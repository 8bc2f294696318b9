"""What the daemon tells its operators: health checks, metrics from the journal, the STATUS line.

Liveness (``/healthz``, and the gate of every systemd ``WATCHDOG=1``): the main loop beats, and
every worker, the pickup thread and the scheduler are alive. Readiness (``/readyz``) adds: the last
successful poll of the axis is younger than ``health.max_poll_age_seconds``, the journal answered
the last refresh, and the exchange folders are writable.

The refresh (every 15 s, from the scheduler) reads the journal summary into the metrics (documents
per state, queue depth and oldest pending item) and writes the STATUS line ``systemctl status``
shows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from agent.core.lifecycle import MACHINES, Kind
from agent.errors import LienthongError
from agent.journal.records import JournalSummary
from agent.observability import Health, Metrics, SystemdNotifier, freshness_check, get_logger
from agent.services import AgentServices

log = get_logger(__name__)
WARN_DAYS = 30
_QUEUES = {Kind.OUTBOUND: "outbox", Kind.INBOUND: "inbound", Kind.RECEIPT_OUT: "receipts",
           Kind.RECEIPT_IN: "receipts-in"}


def _pending(summary: JournalSummary, kind: Kind) -> int:
    counts = summary.counts.get(kind, {})
    return sum(n for state, n in counts.items() if state in {s.value for s in MACHINES[kind].steps})


class StatusReporter:
    def __init__(self, services: AgentServices, metrics: Metrics, health: Health,
                 notifier: SystemdNotifier, alive: Callable[[], bool]) -> None:
        self._services = services
        self._metrics = metrics
        self._health = health
        self._notifier = notifier
        self._journal_ok: str | None = "not read yet"
        self._folders_ok: str | None = None
        self.line = "starting"
        health.add_liveness_check("workers", lambda: None if alive() else "a worker stopped")
        max_age = services.ctx.config.health.max_poll_age_seconds
        health.add_readiness_check("axis_poll", freshness_check(
            lambda: metrics.last_successful_poll("edoc"), max_age, "successful poll"))
        health.add_readiness_check("journal", lambda: self._journal_ok)
        health.add_readiness_check("folders", lambda: self._folders_ok)
        self._certificate()

    def _certificate(self) -> None:
        """The signing certificate's expiry as a metric, and a warning when it is near."""
        identity = self._services.ctx.signing.identity
        if identity is None:
            return
        cert = identity.certificate
        self._metrics.set_certificate_expiry("signing", cert.not_valid_after_utc)
        now = self._services.ctx.now()
        days = (cert.not_valid_after_utc - now).days
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            log.error("the signing certificate is not valid now: documents go to failed/",
                      not_before=cert.not_valid_before_utc.isoformat(),
                      not_after=cert.not_valid_after_utc.isoformat())
        elif days < WARN_DAYS:
            log.warning("the signing certificate expires soon", days_left=days)

    def refresh(self) -> None:
        """Journal summary -> metrics, folder check, STATUS line (a scheduler job)."""
        self._folders_ok = self._check_folders()
        try:
            summary = self._services.ctx.journal.summary()
        except LienthongError as exc:
            self._journal_ok = f"journal unreadable: {exc.message}"
            return
        self._journal_ok = None
        for kind in Kind:
            counts = summary.counts.get(kind, {})
            self._metrics.set_documents(kind.value, counts)
            oldest = summary.oldest_pending.get(kind)
            self._metrics.set_queue(_QUEUES[kind], _pending(summary, kind),
                                    oldest.timestamp() if oldest else None)
        self.line = self._status_line(summary)
        self._notifier.status(self.line)

    @property
    def folders_problem(self) -> str | None:
        return self._folders_ok

    def _check_folders(self) -> str | None:
        for folder_set in self._services.ctx.organs.folder_sets():
            for folder in folder_set.folders.all():
                if not os.access(folder, os.W_OK):
                    return f"{folder} is not writable"
        return None

    def _status_line(self, summary: JournalSummary) -> str:
        organs = len(self._services.ctx.organs.served)
        last = self._metrics.last_successful_poll("edoc")
        polled = f"last poll {time.time() - last:.0f} s ago" if last else "not polled yet"
        return (f"serving {organs} organ(s); to send {_pending(summary, Kind.OUTBOUND)}, "
                f"to receive {_pending(summary, Kind.INBOUND)}, receipts "
                f"{_pending(summary, Kind.RECEIPT_OUT) + _pending(summary, Kind.RECEIPT_IN)}; "
                f"{polled}")
