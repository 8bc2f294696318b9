"""Transport failures become typed errors: the sandbox's injected faults, and a closed port.

Each test also shows that no httpx exception escapes ``agent.axis``: ``pytest.raises`` names the
exact agent error type.
"""

from __future__ import annotations

import io
import random
import socket
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from agent.axis.api import AxisClient
from agent.axis.wire import AxisCredentials, AxisWire, WireSettings
from agent.core.retry import Action, RetryPolicy, RetryState, next_step
from agent.core.xroad import Secret
from agent.errors import (
    AxisProtocolError,
    AxisRateLimitedError,
    AxisTransportError,
    StorageError,
)
from agent.sandbox import FaultKind, FaultRule
from tests.integration.axis.conftest import SENDER, Axis, utc_now, write_edoc


def rule(kind: FaultKind, *ops: str, **kw: object) -> FaultRule:
    return FaultRule(kind, frozenset(o.lower() for o in ops), **kw)  # type: ignore[arg-type]


def test_connection_refused() -> None:
    """Nothing listening on the port: AxisTransportError 'could not connect', no httpx error."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with httpx.Client() as http:
        wire = AxisWire(http, WireSettings(f"http://127.0.0.1:{port}"),
                        AxisCredentials("00.53.W00", Secret("x")), utc_now)
        with pytest.raises(AxisTransportError) as caught:
            AxisClient(wire).count_receive_edoc()
    assert type(caught.value) is AxisTransportError
    assert "could not connect to the axis at http://127.0.0.1" in caught.value.message
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_server_error_5xx(axis: Axis) -> None:
    """HTTP 502 from the axis (or its proxy) is a transport error with the body's text."""
    axis.faults(rule(FaultKind.ERROR_5XX, "getReceivedEdocList", status=502))
    with pytest.raises(AxisTransportError) as caught:
        axis.client().get_received_edoc_list()
    assert type(caught.value) is AxisTransportError
    assert "HTTP 502: sandbox fault injection: server error" in caught.value.message


def test_rate_limited_with_retry_after_drives_the_retry_policy(axis: Axis) -> None:
    """HTTP 429 + Retry-After: 7 gives retry_after=7, and the policy waits at least that."""
    axis.faults(rule(FaultKind.RATE_LIMIT, "countReceiveEdoc", retry_after=7))
    with pytest.raises(AxisRateLimitedError) as caught:
        axis.client().count_receive_edoc()
    assert caught.value.retry_after == 7
    now = datetime(2026, 11, 24, tzinfo=UTC)
    decision = next_step(RetryPolicy(base_delay=1), RetryState.start(now), caught.value,
                         now=now, rng=random.Random(0))
    assert decision.action is Action.RETRY and decision.delay >= 7


def test_connection_reset(axis: Axis) -> None:
    """A TCP reset instead of an answer is a transport error."""
    axis.faults(rule(FaultKind.RESET, "getEdoc"))
    with pytest.raises(AxisTransportError) as caught:
        axis.client().get_edoc("0123456789abcdef01234567", io.BytesIO())
    assert type(caught.value) is AxisTransportError
    assert "broke mid-call" in caught.value.message


def test_dropped_answer(axis: Axis) -> None:
    """The request is handled but the connection closes without an answer: transport error."""
    axis.faults(rule(FaultKind.DROP, "countReceiveStatus"))
    with pytest.raises(AxisTransportError, match="broke mid-call"):
        axis.client().count_receive_status()


def test_read_timeout(axis: Axis) -> None:
    """An axis that accepts and says nothing times out after read_timeout."""
    axis.faults(rule(FaultKind.HANG, "getAgenciesList", seconds=5))
    client = axis.client(read_timeout=0.3)
    with pytest.raises(AxisTransportError) as caught:
        client.get_agencies_list()
    assert "waiting for the answer timed out" in caught.value.message
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def test_latency_within_the_timeout_is_fine(axis: Axis) -> None:
    """Injected latency shorter than the read timeout just delays the answer."""
    axis.faults(rule(FaultKind.LATENCY, "countReceiveEdoc", seconds=0.2))
    assert axis.client(read_timeout=5).count_receive_edoc() >= 0


def test_malformed_json_answer(axis: Axis) -> None:
    """A truncated JSON answer (HTTP 200) is a protocol error, not a crash or an empty list."""
    axis.faults(rule(FaultKind.MALFORMED, "getAgenciesList"))
    with pytest.raises(AxisProtocolError, match="not JSON"):
        axis.client().get_agencies_list()


def test_malformed_streamed_answer(axis: Axis, tmp_path: Path) -> None:
    """A truncated getEdoc answer is a protocol error from the streaming scanner."""
    package = tmp_path / "p.edxml"
    write_edoc(package, recipients=("00.53.W00",))
    sender = axis.client()
    sender.send_edoc(SENDER, package)
    item = sender.get_received_edoc_list()[-1]
    axis.faults(rule(FaultKind.MALFORMED, "getEdoc"))
    with pytest.raises(AxisProtocolError, match="cut short"):
        sender.get_edoc(item.doc_id, io.BytesIO())
    axis.faults()
    sender.update_status(item.doc_id, "done")


class ChangingFile(io.BytesIO):
    """A package that changes between the hashing pass and the upload pass."""

    def seek(self, offset: int, whence: int = 0) -> int:
        if self.tell() > 0:
            self.getbuffer()[-20:-10] = b"0123456789"
        return super().seek(offset, whence)


def test_package_changed_during_upload_is_aborted(fresh_axis: Axis, tmp_path: Path) -> None:
    """If the bytes differ from those hashed, the upload is aborted and nothing is delivered."""
    package = tmp_path / "p.edxml"
    write_edoc(package, attachment_bytes=500_000)
    with pytest.raises(StorageError, match="changed while it was being sent"):
        fresh_axis.client().send_edoc(SENDER, ChangingFile(package.read_bytes()))
    assert fresh_axis.client("02.44.W00").count_receive_edoc() == 0
