"""The object graph, built in ONE place from the configuration (STYLE.md §12: main() is wiring).

::

    httpx.Client (TLS) -> AxisWire (HMAC, timeouts, error table) -> AxisClient
    SqliteJournal (exclusive lock; claims of a crashed run released)
    ExchangeLayout -> OrganRouter
    SigningIdentity (key by reference) + seal image -> SigningSetup
    TrustPolicy (anchors, CRLs)
    Metrics, Health
    -> ServiceContext -> AgentServices

Secrets are read here, by reference (file or systemd credential), and handed over wrapped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from agent import __version__
from agent.axis import (
    ApiSettings,
    AxisClient,
    AxisCredentials,
    AxisWire,
    ErrorCodeInfo,
    ErrorCodeTable,
    HttpClientSettings,
    TlsSettings,
    WireSettings,
    build_http_client,
)
from agent.config import AgentConfig, read_password, read_secret, secret_path
from agent.config.schema import KeyFormat
from agent.errors import ConfigError
from agent.journal.sqlite import SqliteJournal
from agent.observability import Health, Metrics
from agent.services import AgentServices
from agent.services.context import ServiceContext, SigningSetup, Wake, utc_now
from agent.services.failpoints import Failpoints
from agent.services.organs import OrganRouter, build_layout
from agent.signing.keys import SigningIdentity
from agent.signing.trust import TrustPolicy


@dataclass
class Agent:
    """Everything one running agent is made of."""

    config: AgentConfig
    journal: SqliteJournal
    http: httpx.Client
    services: AgentServices
    metrics: Metrics
    health: Health

    @property
    def ctx(self) -> ServiceContext:
        return self.services.ctx

    def close(self) -> None:
        self.http.close()
        self.journal.close()


def http_client(config: AgentConfig, environ: Mapping[str, str] | None = None) -> httpx.Client:
    tls = config.axis.tls
    key_ref = tls.client_key
    settings = TlsSettings(
        ca_bundle=Path(tls.ca_bundle) if tls.ca_bundle else None,
        client_cert=Path(tls.client_certificate) if tls.client_certificate else None,
        client_key=secret_path(key_ref, environ) if key_ref is not None else None,
    )
    connections = config.upload.concurrency * 2 + 4  # uploads, fetches, acks and polls at once
    return build_http_client(HttpClientSettings(tls=settings, max_connections=connections))


def axis_client(
    config: AgentConfig, http: httpx.Client, clock: Callable[[], dt.datetime],
    environ: Mapping[str, str] | None = None,
) -> AxisClient:
    axis = config.axis
    table = ErrorCodeTable({code: ErrorCodeInfo(info.kind, info.meaning)
                            for code, info in axis.error_table().items()})
    settings = WireSettings(
        base_url=str(axis.base_url), path_prefix=axis.path_prefix,
        connect_timeout=axis.connect_timeout_seconds, read_timeout=axis.read_timeout_seconds,
        write_timeout=axis.read_timeout_seconds, upload_timeout=axis.upload_timeout_seconds,
        local_tz=axis.local_timezone, user_agent=axis.user_agent,
        version=axis.protocol_version, error_codes=table,
    )
    credentials = AxisCredentials(axis.system_id, read_secret(axis.secret, environ))
    wire = AxisWire(http, settings, credentials, clock)
    return AxisClient(wire, ApiSettings(hash_file_style=axis.hash_file_style.value))


def signing_identity(
    config: AgentConfig, environ: Mapping[str, str] | None = None
) -> SigningIdentity | None:
    """The organisation's key and certificate, when a signature is switched on."""
    section = config.signing
    ref = section.key
    if not (section.pdf_signature or section.xml_signature) or ref is None:
        return None
    data = read_secret(ref, environ, text=False).reveal()
    password = read_password(section.key_password, environ)
    secret = password.reveal() if password is not None else None
    if _is_pkcs12(section.key_format, ref.describe(), data):
        return SigningIdentity.from_pkcs12(data, secret)
    chain = Path(section.certificate_file).read_bytes() if section.certificate_file else data
    return SigningIdentity.from_pem(data, chain, password=secret)


def _is_pkcs12(key_format: KeyFormat, name: str, data: bytes) -> bool:
    if key_format is not KeyFormat.AUTO:
        return key_format is KeyFormat.PKCS12
    return name.lower().endswith((".p12", ".pfx")) or b"-----BEGIN" not in data[:4096]


def signing_setup(config: AgentConfig, environ: Mapping[str, str] | None = None) -> SigningSetup:
    seal = config.signing.seal_image
    try:
        image = Path(seal).read_bytes() if seal else None
    except OSError as exc:
        raise ConfigError(f"signing.seal_image {seal} cannot be read: {exc.strerror}") from exc
    return SigningSetup.from_config(config, signing_identity(config, environ), image)


def trust_policy(config: AgentConfig) -> TrustPolicy:
    section = config.verification
    return TrustPolicy.from_pem_files(
        [Path(p) for p in section.trust_anchors], [Path(p) for p in section.crl_files],
        require_revocation_info=section.require_revocation_info)


def journal_path(config: AgentConfig) -> Path:
    if config.journal.path is None:  # load_config fills it in; a hand-built config may not
        raise ConfigError("journal.path is not set")
    return Path(config.journal.path)


def build_agent(
    config: AgentConfig, *, environ: Mapping[str, str] | None = None,
    clock: Callable[[], dt.datetime] = utc_now, failpoints: Failpoints | None = None,
    wake: Wake | None = None,
) -> Agent:
    """Build the whole agent. The journal is opened last: nothing else can fail after it."""
    http = http_client(config, environ)
    try:
        axis = axis_client(config, http, clock, environ)
        setup, trust = signing_setup(config, environ), trust_policy(config)
        layout = build_layout(config)
        metrics, health = Metrics(version=__version__), Health()
        journal = SqliteJournal.open(journal_path(config))
    except BaseException:
        http.close()
        raise
    ctx = ServiceContext(
        config=config, journal=journal, axis=axis, organs=OrganRouter(config, layout),
        trust=trust, signing=setup, metrics=metrics,
        failpoints=failpoints or Failpoints(), clock=clock,
    )
    if wake is not None:
        ctx.wake = wake
    return Agent(config, journal, http, AgentServices(ctx), metrics, health)
