"""Picking up outbox and status-out items: file-system notifications, a start-up scan, rescans.

Notifications (watchdog, inotify) give low latency: an item renamed into ``outbox/`` is claimed
within milliseconds. They are not trusted alone: inotify drops events when its queue overflows
and sees nothing on network file systems, so the folders are also scanned at start-up and every
``pickup.rescan_interval_seconds`` (the scheduler calls :meth:`PickupThread.request`).

One thread does every scan, so a folder is never scanned twice at once; requests that arrive while
it scans are coalesced into one more scan. In quiescence mode the thread looks again when the
items it saw may have become quiet.

On Linux the inotify watches leave out ``IN_MOVED_FROM``. The agent's own claim renames every item
*out of* the outbox; watchdog holds such an event back for half a second, hoping to pair it with
an ``IN_MOVED_TO``, and every later event of the watch waits behind it in one queue, so a document
dropped after another one was claimed was noticed only up to 0.5 s later. Nothing here needs to
know that something left a folder: an item renamed into it arrives as ``IN_MOVED_TO``, which
watchdog reports as a creation.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from agent.files.pickup import is_ignored
from agent.observability import get_logger
from agent.services import AgentServices

log = get_logger(__name__)
_EVENTS: list[type[FileSystemEvent]] = [FileCreatedEvent, DirCreatedEvent, FileMovedEvent,
                                        DirMovedEvent, FileClosedEvent, FileModifiedEvent]


class _Handler(FileSystemEventHandler):
    def __init__(self, request: Callable[[], None], ignore: tuple[str, ...]) -> None:
        self._request = request
        self._ignore = ignore

    def on_any_event(self, event: FileSystemEvent) -> None:
        path = event.dest_path if event.event_type == "moved" else event.src_path
        name = os.path.basename(os.fsdecode(path))
        if name and not is_ignored(name, self._ignore):
            self._request()


def _observer() -> BaseObserver:
    """The platform's observer; on Linux, inotify watches without ``IN_MOVED_FROM``."""
    try:
        from watchdog.observers.inotify import InotifyEmitter, InotifyObserver
        from watchdog.observers.inotify_c import InotifyConstants
    except ImportError:  # not Linux: whatever watchdog uses there (rescans back it up anyway)
        return Observer()

    class ArrivalsEmitter(InotifyEmitter):
        def get_event_mask_from_filter(self):  # type: ignore[no-untyped-def]
            return super().get_event_mask_from_filter() & ~InotifyConstants.IN_MOVED_FROM

    observer = InotifyObserver()
    if getattr(observer, "_emitter_class", None) is not InotifyEmitter:
        return observer  # a watchdog we do not know: keep its own emitter (correct, slower)
    observer._emitter_class = ArrivalsEmitter
    return observer


class PickupThread:
    def __init__(self, services: AgentServices, clock: Callable[[], dt.datetime]) -> None:
        self._services = services
        self._clock = clock
        config = services.ctx.config.pickup
        self._ignore = tuple(config.ignore_patterns)
        self._notify = config.use_notifications
        self._event = threading.Event()
        self._stopping = threading.Event()
        self._observer: Observer | None = None  # type: ignore[valid-type]
        self._thread = threading.Thread(target=self._run, name="pickup", daemon=True)
        self.scans = 0

    def start(self) -> None:
        if self._notify:
            self._watch()
        self._event.set()  # the start-up scan
        self._thread.start()

    def _watch(self) -> None:
        observer = _observer()
        handler = _Handler(self.request, self._ignore)
        for folder_set in self._services.ctx.organs.folder_sets():
            for folder in (folder_set.folders.outbox, folder_set.folders.status_out):
                observer.schedule(handler, str(folder), recursive=False, event_filter=_EVENTS)
        observer.daemon = True
        try:
            observer.start()
        except OSError as exc:  # inotify limits reached: the rescans still find everything
            log.warning("file-system notifications unavailable; relying on rescans",
                        error=str(exc))
            return
        self._observer = observer

    def request(self) -> None:
        """Scan soon (a notification, the periodic rescan, SIGHUP)."""
        self._event.set()

    def stop(self) -> None:
        self._stopping.set()
        self._event.set()
        if self._observer is not None:
            self._observer.stop()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        if self._observer is not None:
            self._observer.join(timeout)

    @property
    def alive(self) -> bool:
        return self._stopping.is_set() or self._thread.is_alive()

    def _run(self) -> None:
        recheck: dt.datetime | None = None
        while not self._stopping.is_set():
            timeout = None if recheck is None else \
                max((recheck - self._clock()).total_seconds(), 0.0)
            self._event.wait(timeout)
            self._event.clear()
            if self._stopping.is_set():
                return
            try:
                recheck = self._services.pickup.scan_all()
                self.scans += 1
            except Exception:  # noqa: BLE001 - the next request or rescan tries again
                log.exception("pickup scan failed")
                recheck = None
