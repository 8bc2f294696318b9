"""The objects the checks use, built by the daemon's own wiring (:mod:`agent.daemon.wiring`)
so that doctor checks exactly what ``lienthong-agent run`` would build: the exchange layout,
the signing identity and the axis client (with doctor's shorter timeouts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

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
    from agent.services.organs import build_layout

    return build_layout(config)


def load_identity(config: AgentConfig, environ: Mapping[str, str]) -> SigningIdentity | None:
    """The signing key and certificate (None when no signature is switched on).
    KeyMaterialError when the key does not open or does not belong to its certificate;
    ConfigError when a file or credential cannot be read."""
    from agent.daemon.wiring import signing_identity
    from agent.errors import ConfigError

    try:
        return signing_identity(config, environ)
    except OSError as exc:  # signing.certificate_file
        raise ConfigError(f"{exc.filename} cannot be read: {exc.strerror}") from None


def axis_client(
    config: AgentConfig, environ: Mapping[str, str], clock: Callable[[], dt.datetime],
    timeout: float, on_response: Callable[[HasHeaders], None],
) -> tuple[AxisClient, Callable[[], None]]:
    """The daemon's axis client with timeouts cut to ``timeout``; ``on_response`` sees every
    answer. Returns the client and the function that closes its connections."""
    from agent.daemon.wiring import axis_client as build_client
    from agent.daemon.wiring import http_client

    axis = config.axis.model_copy(update={
        "connect_timeout_seconds": min(config.axis.connect_timeout_seconds, timeout),
        "read_timeout_seconds": min(config.axis.read_timeout_seconds, timeout)})
    quick = config.model_copy(update={"axis": axis})
    http = http_client(quick, environ)
    try:
        http.event_hooks["response"].append(on_response)
        return build_client(quick, http, clock, environ), http.close
    except BaseException:
        http.close()
        raise
