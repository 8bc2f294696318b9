"""The national-axis HTTP client (AXIS.md §5), in two layers as in certbot's ACME client.

=============  ========================================================================
``api``        :class:`AxisClient`: the operations of §5.4 with typed results
``wire``       :class:`AxisWire`: signing, headers, timeouts, HTTP and JSON -> typed errors
``http``       :func:`build_http_client`: the injected ``httpx.Client`` (TLS, mTLS)
``scan``       the incremental JSON scanner that streams getEdoc's base64 ``data`` (pure)
``codes``      the ``ErrorCode`` table (LS-LGSP by default) and Vietnamese-aware messages
``models``     typed results, read defensively
=============  ========================================================================

Wiring (the daemon does this once)::

    http = build_http_client(HttpClientSettings(tls=TlsSettings(ca_bundle=...)))
    wire = AxisWire(http, WireSettings(base_url), AxisCredentials(systemid, Secret(secret)),
                    clock=lambda: datetime.now(UTC))
    axis = AxisClient(wire)

Nothing from httpx escapes this package: every failure is an :class:`~agent.errors.AxisError`
(transport, rate limit, protocol, rejection, auth), a :class:`~agent.errors.ConfigError`, or a
:class:`~agent.errors.StorageError` for the caller's own files and sinks.
"""

from agent.axis.api import ApiSettings, AxisClient, BinarySink
from agent.axis.codes import ErrorCodeTable
from agent.axis.http import HttpClientSettings, TlsSettings, build_http_client
from agent.axis.models import (
    AckStatus,
    Agency,
    AgencyQD20,
    AgencyRegistration,
    FetchedEdoc,
    MessageType,
    ReceivedItem,
    SentEdoc,
    SentRow,
    SyncUnit,
)
from agent.axis.wire import AxisCredentials, AxisWire, WireSettings
from agent.core.rejection import LS_LGSP_CODES, ErrorCodeInfo, RejectionKind

__all__ = [
    "LS_LGSP_CODES",
    "AckStatus",
    "Agency",
    "AgencyQD20",
    "AgencyRegistration",
    "ApiSettings",
    "AxisClient",
    "AxisCredentials",
    "AxisWire",
    "BinarySink",
    "ErrorCodeInfo",
    "ErrorCodeTable",
    "FetchedEdoc",
    "HttpClientSettings",
    "MessageType",
    "ReceivedItem",
    "RejectionKind",
    "SentEdoc",
    "SentRow",
    "SyncUnit",
    "TlsSettings",
    "WireSettings",
    "build_http_client",
]
