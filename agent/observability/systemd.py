"""sd_notify over ``$NOTIFY_SOCKET``, written directly (no dependency): READY, STATUS, WATCHDOG,
STOPPING, EXTEND_TIMEOUT_USEC. Outside systemd every call is a no-op returning False.

Best effort and bounded: a datagram to a local socket, never retried, errors swallowed (logged at
debug). The watchdog interval is half of ``WatchdogSec=`` as systemd recommends.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

import structlog

log = structlog.get_logger(__name__)


def _address(raw: str) -> str | None:
    if raw.startswith("@"):
        return "\0" + raw[1:]  # abstract namespace
    if raw.startswith("/"):
        return raw
    return None  # vsock and other forms are not used by a service manager for this unit


class SystemdNotifier:
    """Sends notifications to the service manager named by ``$NOTIFY_SOCKET``."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._address = _address(env.get("NOTIFY_SOCKET", ""))

    @property
    def enabled(self) -> bool:
        """Whether a service manager is listening."""
        return self._address is not None

    def notify(self, *assignments: str) -> bool:
        """Send ``KEY=value`` lines in one datagram; True when it was sent."""
        if self._address is None:
            return False
        message = "\n".join(assignments).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.settimeout(1.0)
                sock.sendto(message, self._address)
        except OSError as exc:
            log.debug("sd_notify failed", error=type(exc).__name__, errno=exc.errno)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Start-up is complete (``Type=notify``): READY=1, with an optional status line."""
        return self.notify("READY=1", *_status(status))

    def status(self, text: str) -> bool:
        """The one-line status ``systemctl status`` shows."""
        return self.notify(*_status(text))

    def watchdog(self) -> bool:
        """Keep-alive for ``WatchdogSec=``; send only after the health checks passed."""
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        """Shutdown has begun."""
        return self.notify("STOPPING=1", *_status(status))

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more time to start or stop (EXTEND_TIMEOUT_USEC)."""
        return self.notify(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}")


def _status(text: str | None) -> list[str]:
    if text is None:
        return []
    return ["STATUS=" + " ".join(text.split())]


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between two WATCHDOG=1 (half of ``WatchdogSec=``), or None when not asked for.

    ``$WATCHDOG_PID``, when set, must be this process.
    """
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid is not None and pid != str(os.getpid()):
        return None
    return int(usec) / 1_000_000 / 2
