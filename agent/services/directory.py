"""The cached organ directory: synchronised from the axis at start-up and periodically.

Recipients of outgoing documents are checked against it (``directory.require_known_recipients``).
The source is configurable (getAgenciesList by default; getAgenciesListQD20 or
getSynchronizeUnit, whose deleted units are left out). A failed or empty answer keeps the cached
directory.
"""

from __future__ import annotations

import datetime as dt
import time

from agent.config.schema import DirectorySource
from agent.core.lifecycle import Kind
from agent.errors import AxisError, JournalError
from agent.journal.records import Agency
from agent.observability import get_logger, log_context
from agent.services.context import ServiceContext, error_info

log = get_logger(__name__)
DIRECTORY = "directory"


class DirectorySync:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def stale(self) -> bool:
        """Whether a start-up synchronisation is due (never synced, or older than the interval)."""
        synced = self._ctx.journal.directory_synced_at()
        interval = dt.timedelta(seconds=self._ctx.config.directory.sync_interval_seconds)
        return synced is None or self._ctx.now() - synced >= interval

    def sync(self) -> int | None:
        """Fetch and store the directory; the number of organs, or None when it failed."""
        ctx = self._ctx
        started = time.monotonic()
        with log_context(step="directory"):
            try:
                agencies = self._fetch()
                count = ctx.journal.replace_agencies(agencies, ctx.now())
            except (AxisError, JournalError) as exc:
                ctx.count("observe_poll", DIRECTORY, time.monotonic() - started, ok=False)
                self._record_failure(exc)
                log.warning("directory synchronisation failed; the cached one is kept",
                            error=exc.message)
                return None
        ctx.count("observe_poll", DIRECTORY, time.monotonic() - started)
        log.info("directory synchronised", organs=count)
        ctx.wake(Kind.OUTBOUND, None)  # documents waiting for the directory can go on
        return count

    def _record_failure(self, exc: AxisError | JournalError) -> None:
        try:
            self._ctx.journal.record_poll(DIRECTORY, self._ctx.now(), error_info(exc))
        except JournalError:
            pass

    def _fetch(self) -> list[Agency]:
        axis, source = self._ctx.axis, self._ctx.config.directory.source
        if source is DirectorySource.AGENCIES_LIST_QD20:
            return [Agency(code=a.code102 or a.code, name=a.name or "", id=a.id, mail=a.mail,
                           old_code=a.code if a.code102 and a.code102 != a.code else None)
                    for a in axis.get_agencies_list_qd20()]
        if source is DirectorySource.SYNCHRONIZE_UNIT:
            return [Agency(code=u.code, name=u.name or "", id=u.id, mail=u.mail, parent=u.pid)
                    for u in axis.get_synchronize_unit() if not u.deleted]
        return [Agency(code=a.code, name=a.name or "", id=a.id, mail=a.mail, parent=a.pid,
                       old_code=a.old_code)
                for a in axis.get_agencies_list()]
