"""sd_notify: datagrams reach the socket named by $NOTIFY_SOCKET, path or abstract namespace."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.observability import SystemdNotifier, watchdog_interval


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket standing for systemd, bound to a short filesystem path."""
    directory = Path(tempfile.mkdtemp(prefix="sdn-"))
    path = directory / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    yield sock, str(path)
    sock.close()
    path.unlink()
    directory.rmdir()


def test_ready_status_watchdog_stopping_are_received(
    notify_socket: tuple[socket.socket, str],
) -> None:
    """Each call sends one datagram with the documented assignments."""
    sock, path = notify_socket
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready("polling\nevery 60 s")
    assert sock.recv(4096) == b"READY=1\nSTATUS=polling every 60 s"
    assert notifier.status("3 documents waiting")
    assert sock.recv(4096) == b"STATUS=3 documents waiting"
    assert notifier.watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert notifier.stopping("draining")
    assert sock.recv(4096) == b"STOPPING=1\nSTATUS=draining"
    assert notifier.extend_timeout(2.5)
    assert sock.recv(4096) == b"EXTEND_TIMEOUT_USEC=2500000"


def test_abstract_namespace_socket() -> None:
    """NOTIFY_SOCKET=@name addresses the abstract socket \\0name."""
    name = f"lienthong-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert SystemdNotifier({"NOTIFY_SOCKET": "@" + name}).ready()
        assert sock.recv(4096) == b"READY=1"


def test_without_systemd_nothing_is_sent() -> None:
    """No $NOTIFY_SOCKET: calls return False and do nothing."""
    notifier = SystemdNotifier({})
    assert not notifier.enabled and not notifier.ready() and not notifier.watchdog()


def test_unreachable_socket_is_not_an_error(tmp_path: Path) -> None:
    """A socket path nobody listens on makes notify return False, never raise."""
    assert SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).watchdog() is False


def test_watchdog_interval_is_half_of_watchdog_sec() -> None:
    """WATCHDOG_USEC=20 s gives 10 s; a WATCHDOG_PID of another process gives None."""
    assert watchdog_interval({"WATCHDOG_USEC": "20000000"}) == 10.0
    mine = {"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval(mine) == 10.0
    assert watchdog_interval({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None
