"""Liveness and readiness computed from checks the daemon registers.

A check is a cheap callable returning ``None`` when healthy or a short reason when not (it reads
state the daemon keeps in memory; it never calls the axis). A check that raises counts as failing,
reported with the exception's type only, so no message can leak a secret.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Check = Callable[[], str | None]


@dataclass(frozen=True)
class HealthReport:
    """The outcome of a set of checks: ``ok`` and each check's ``"ok"`` or reason."""

    ok: bool
    checks: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON body of /healthz and /readyz."""
        return {"status": "ok" if self.ok else "fail", "checks": self.checks}


def _run(checks: dict[str, Check]) -> HealthReport:
    results: dict[str, str] = {}
    for name, check in sorted(checks.items()):
        try:
            reason = check()
        except Exception as exc:  # noqa: BLE001 - a broken check must not break the endpoint
            reason = f"check raised {type(exc).__name__}"
        results[name] = "ok" if reason is None else reason
    return HealthReport(all(v == "ok" for v in results.values()), results)


class Health:
    """Registry of liveness and readiness checks, plus the main loop's heartbeat."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._liveness: dict[str, Check] = {}
        self._readiness: dict[str, Check] = {}
        self._last_beat: float | None = None

    def add_liveness_check(self, name: str, check: Check) -> None:
        """A check whose failure means the process should be restarted."""
        with self._lock:
            self._liveness[name] = check

    def add_readiness_check(self, name: str, check: Check) -> None:
        """A check whose failure means the agent cannot do its work now (axis down, disk full)."""
        with self._lock:
            self._readiness[name] = check

    def beat(self) -> None:
        """Called by the main loop at each tick; see :meth:`watch_heartbeat`."""
        self._last_beat = self._clock()

    def watch_heartbeat(self, max_silence_seconds: float) -> None:
        """Add a liveness check that fails when the main loop has not beaten recently."""

        def heartbeat() -> str | None:
            if self._last_beat is None:
                return "main loop has not started"
            silent = self._clock() - self._last_beat
            if silent > max_silence_seconds:
                return f"main loop silent for {silent:.0f} s"
            return None

        self.add_liveness_check("main_loop", heartbeat)

    def liveness(self) -> HealthReport:
        """Run the liveness checks (for /healthz and the systemd watchdog)."""
        with self._lock:
            checks = dict(self._liveness)
        return _run(checks)

    def readiness(self) -> HealthReport:
        """Run the liveness and readiness checks (for /readyz)."""
        with self._lock:
            checks = {**self._liveness, **self._readiness}
        return _run(checks)


def freshness_check(
    last: Callable[[], float | None], max_age_seconds: float, what: str,
    clock: Callable[[], float] = time.time,
) -> Check:
    """A check failing when ``last()`` (a Unix time, e.g. the last successful poll) is missing or
    older than ``max_age_seconds``."""

    def check() -> str | None:
        at = last()
        if at is None:
            return f"no {what} yet"
        age = clock() - at
        return None if age <= max_age_seconds else f"last {what} {age:.0f} s ago"

    return check
