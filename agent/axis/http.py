"""Building the ``httpx.Client`` the axis client is given: TLS trust, optional client certificate.

The daemon calls :func:`build_http_client` once and injects the result into
:class:`~agent.axis.wire.AxisWire`; tests build their own client. TLS follows AXIS.md §11 and §14:
the system trust store by default (as the VNPT SDK does), or a CA bundle file; a client certificate
for mutual TLS only if configured (whether the axis wants one is unknown). Redirects are never
followed and proxy variables from the environment are ignored unless asked for.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from agent.core.xroad import Secret
from agent.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """``ca_bundle`` None means the system trust store; the client key may be in the cert file."""

    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    client_key_password: Secret | None = field(default=None, repr=False)
    verify: bool = True  # False only for a lab; the configuration warns loudly


@dataclass(frozen=True, slots=True)
class HttpClientSettings:
    tls: TlsSettings = field(default_factory=TlsSettings)
    use_env_proxy: bool = False
    max_connections: int = 4


def ssl_context(tls: TlsSettings) -> ssl.SSLContext:
    """The SSL context for the axis, or ConfigError naming the file that could not be used."""
    try:
        context = ssl.create_default_context(
            cafile=str(tls.ca_bundle) if tls.ca_bundle is not None else None
        )
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"axis.tls.ca_bundle {str(tls.ca_bundle)!r} cannot be loaded: {exc}",
            hint="give a PEM file with the CA certificates that issued the axis's certificate",
        ) from exc
    if not tls.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.client_cert is not None:
        _load_client_cert(context, tls)
    return context


def _load_client_cert(context: ssl.SSLContext, tls: TlsSettings) -> None:
    password = tls.client_key_password
    try:
        context.load_cert_chain(
            certfile=str(tls.client_cert),
            keyfile=str(tls.client_key) if tls.client_key is not None else None,
            password=(lambda: password.reveal()) if password is not None else None,
        )
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"axis.tls.client_cert {str(tls.client_cert)!r} (key "
            f"{str(tls.client_key or tls.client_cert)!r}) cannot be loaded: {type(exc).__name__}",
            hint="a PEM certificate and its unencrypted or password-protected PEM key",
        ) from None


def build_http_client(settings: HttpClientSettings | None = None) -> httpx.Client:
    """A client for :class:`~agent.axis.wire.AxisWire`: TLS as configured, no redirects."""
    settings = settings or HttpClientSettings()
    return httpx.Client(
        verify=ssl_context(settings.tls),
        follow_redirects=False,
        trust_env=settings.use_env_proxy,
        limits=httpx.Limits(max_connections=settings.max_connections),
    )
