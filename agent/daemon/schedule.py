"""The timed work of the daemon, as apscheduler jobs (a background thread that sleeps until the
next job, so an idle agent wakes only when something is due):

==================  ==============================================  ===========================
job                 what                                            every
==================  ==============================================  ===========================
poll-edoc           getReceivedEdocList(edoc) into the journal      polling.edoc_interval
poll-status         getReceivedEdocList(status) into the journal    polling.status_interval
directory           getAgenciesList into the cached directory       directory.sync_interval
sent-status         getSentEdocList for recipients not yet          polling.sent_status_interval
                    known as delivered
rescan              a full scan of outbox/ and status-out/          pickup.rescan_interval
refresh             journal summary -> metrics and STATUS line      15 s
==================  ==============================================  ===========================

The polls run once at start-up, the directory too when it is stale (``directory.sync_at_startup``).
A poll records every item listed (a backlog is queued at once, ``axis.batch_size`` per
transaction). Each job runs alone (``max_instances=1``); a job that is late is run once, not caught
up.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from agent.observability import get_logger
from agent.services import AgentServices
from agent.services.polling import MessageType

log = get_logger(__name__)
REFRESH_SECONDS = 15.0


class Schedule:
    def __init__(
        self, services: AgentServices, *, rescan: Callable[[], None],
        refresh: Callable[[], None], clock: Callable[[], dt.datetime],
    ) -> None:
        self._services = services
        self._clock = clock
        self._running = 0
        self._running_lock = threading.Lock()
        config = services.ctx.config
        jitter = config.polling.jitter_seconds or None
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            timezone=dt.UTC,
        )
        now = clock()
        self._add("poll-edoc", lambda: self._poll("edoc"),
                  config.polling.edoc_interval_seconds, jitter, now)
        self._add("poll-status", lambda: self._poll("status"),
                  config.polling.status_interval_seconds, jitter, now)
        first_sync = now if config.directory.sync_at_startup and \
            services.directory.stale() else None
        self._add("directory", services.directory.sync,
                  config.directory.sync_interval_seconds, None, first_sync)
        self._add("sent-status", services.delivery_reports.check,
                  config.polling.sent_status_interval_seconds, jitter, None)
        self._add("rescan", rescan, config.pickup.rescan_interval_seconds, None, None)
        self._add("refresh", refresh, REFRESH_SECONDS, None, now)

    def _add(self, name: str, func: Callable[[], Any], seconds: float, jitter: float | None,
             first: dt.datetime | None) -> None:
        trigger = IntervalTrigger(seconds=seconds, jitter=jitter, timezone=dt.UTC)
        options: dict[str, Any] = {"next_run_time": first} if first is not None else {}
        self._scheduler.add_job(self._guarded(name, func), trigger, id=name, name=name, **options)

    def _guarded(self, name: str, func: Callable[[], Any]) -> Callable[[], None]:
        def job() -> None:
            with self._running_lock:
                self._running += 1
            try:
                func()
            except Exception:  # noqa: BLE001 - a job's failure is logged; it runs again later
                log.exception("scheduled job failed", job=name)
            finally:
                with self._running_lock:
                    self._running -= 1
        return job

    def _poll(self, messagetype: MessageType) -> None:
        self._services.poller.poll(messagetype)

    def run_now(self, *names: str) -> None:
        """Run these jobs as soon as possible (SIGHUP, tests)."""
        for name in names:
            job = self._scheduler.get_job(name)
            if job is not None:
                job.modify(next_run_time=self._clock())

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        """No job starts any more; jobs already running finish (see :meth:`wait_idle`)."""
        self._scheduler.shutdown(wait=False)

    def wait_idle(self, deadline: float) -> bool:
        """Wait until no job runs, at most until the monotonic ``deadline``."""
        while time.monotonic() < deadline:
            with self._running_lock:
                if self._running == 0:
                    return True
            time.sleep(0.05)
        return False

    @property
    def alive(self) -> bool:
        return bool(self._scheduler.running)
