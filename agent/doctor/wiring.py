"""Objects built from the configuration as the daemon builds them: the exchange layout, the
signing identity, the axis client. Kept small so the checks exercise the real code paths."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import datetime as dt

    from agent.axis import AxisClient
    from agent.config import AgentConfig
    from agent.files.layout import ExchangeLayout
    from agent.signing.keys import SigningIdentity


class HasHeaders(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...


def exchange_layout(config: AgentConfig) -> ExchangeLayout:
    """The exchange folders the configuration describes."""
    from agent.config.schema.exchange import Layout
    from agent.files.layout import ExchangeLayout, FolderNames

    names = FolderNames(**config.exchange.folders.model_dump())
    per_organ = {organ.code: organ.folder_name for organ in config.organs}
    shared = config.exchange.layout is Layout.SHARED
    return ExchangeLayout(config.exchange.root, None if shared else per_organ, names)


def load_identity(config: AgentConfig, environ: Mapping[str, str]) -> SigningIdentity:
    """The signing key and certificate the configuration names (KeyMaterialError when the key
    does not open or does not belong to its certificate; ConfigError when a file is missing)."""
    from agent.config import read_password, read_secret
    from agent.config.schema.signatures import KeyFormat
    from agent.errors import ConfigError
    from agent.signing.keys import SigningIdentity

    signing = config.signing
    if signing.key is None:
        raise ConfigError("no signing key is configured (signing.key_file or key_credential)")
    data = read_secret(signing.key, environ, text=False).reveal()
    secret = read_password(signing.key_password, environ)
    password = secret.reveal() if secret is not None else None
    name = str(signing.key.file or signing.key.credential or "").lower()
    pkcs12 = signing.key_format is KeyFormat.PKCS12 or (
        signing.key_format is KeyFormat.AUTO
        and (name.endswith((".p12", ".pfx")) or b"-----BEGIN" not in data))
    if pkcs12:
        return SigningIdentity.from_pkcs12(data, password)
    cert = data if signing.certificate_file is None else _read(signing.certificate_file)
    return SigningIdentity.from_pem(data, cert, password=password)


def _read(path: Any) -> bytes:
    from agent.errors import ConfigError

    try:
        return bytes(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"signing.certificate_file {path} cannot be read: {exc.strerror}"
                          ) from None


def axis_client(
    config: AgentConfig, environ: Mapping[str, str], clock: Callable[[], dt.datetime],
    timeout: float, on_response: Callable[[HasHeaders], None],
) -> tuple[AxisClient, Callable[[], None]]:
    """An axis client as configured, with short timeouts; ``on_response`` sees every answer.
    Returns the client and the function that closes its connections."""
    from agent.axis import AxisClient, AxisCredentials, AxisWire, WireSettings, build_http_client
    from agent.config import read_secret

    axis = config.axis
    http = build_http_client(_http_settings(config, environ))
    http.event_hooks["response"].append(on_response)
    wire = AxisWire(http, WireSettings(
        base_url=str(axis.base_url), path_prefix=axis.path_prefix,
        connect_timeout=min(axis.connect_timeout_seconds, timeout),
        read_timeout=min(axis.read_timeout_seconds, timeout), local_tz=axis.local_timezone,
        user_agent=axis.user_agent, version=axis.protocol_version,
        error_codes=_error_table(config),
    ), AxisCredentials(axis.system_id, read_secret(axis.secret, environ)), clock)
    return AxisClient(wire), http.close


def _http_settings(config: AgentConfig, environ: Mapping[str, str]) -> Any:
    from agent.axis import HttpClientSettings, TlsSettings
    from agent.config import secret_path

    tls = config.axis.tls
    key = tls.client_key
    return HttpClientSettings(tls=TlsSettings(
        ca_bundle=tls.ca_bundle, client_cert=tls.client_certificate,
        client_key=None if key is None else secret_path(key, environ)))


def _error_table(config: AgentConfig) -> Any:
    from agent.axis import ErrorCodeInfo, ErrorCodeTable, RejectionKind

    return ErrorCodeTable({code: ErrorCodeInfo(RejectionKind(info.kind.value), info.meaning)
                           for code, info in config.axis.error_table().items()})
