"""Pick up what the DMS drops: outbox items and status-out files, claimed into the work area.

An item is taken when it is complete: any non-ignored name under the atomic-rename contract, or
once its sizes and times stayed still for ``pickup.quiescence_seconds`` in quiescence mode. It is
renamed into the work area first (:func:`agent.files.pickup.claim`, atomic: picked up exactly
once whatever the moment of a crash), then registered in the journal; start-up registers a claim
whose registration a crash interrupted (:meth:`Pickup.register`).

A scan is cheap (one ``scandir`` per folder); the daemon runs one on every file-system
notification, at start-up and on a timer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from agent.config.schema import PickupMode
from agent.core.lifecycle import Kind
from agent.errors import LienthongError, StorageError
from agent.files.metadata import MAX_METADATA_BYTES, read_mapping
from agent.files.pickup import (
    METADATA_NAMES,
    QuiescenceTracker,
    claim,
    claimed_item,
    new_claim_id,
    scan,
)
from agent.observability import get_logger, log_context
from agent.services.context import ServiceContext
from agent.services.organs import FolderSet

log = get_logger(__name__)
_FROM = re.compile(rb"<(?:\w+:)?From>\s*<(?:\w+:)?OrganId>\s*([^<\s]+)\s*<")
StatusTaker = Callable[[FolderSet, Path], None]


def peek_sender(item: Path | None) -> str | None:
    """The sender an item names, read cheaply (shared layout only); None if unreadable."""
    if item is None:
        return None
    try:
        if item.is_dir():
            for name in METADATA_NAMES:
                if (item / name).is_file():
                    data, _ = read_mapping(item / name, MAX_METADATA_BYTES)
                    value = (data or {}).get("from")
                    return value.strip() if isinstance(value, str) else None
            return None
        with item.open("rb") as stream:
            match = _FROM.search(stream.read(64 * 1024))
        return match.group(1).decode("utf-8", "replace") if match else None
    except (OSError, LienthongError):
        return None


class Pickup:
    """Scans the outbox and status-out folders and claims complete items."""

    def __init__(self, ctx: ServiceContext, take_status: StatusTaker) -> None:
        self._ctx = ctx
        self._take_status = take_status
        quiescence = ctx.config.pickup.mode is PickupMode.QUIESCENCE
        settle = ctx.config.pickup.quiescence_seconds if quiescence else 0.0
        self._settle = settle
        self._trackers: dict[Path, QuiescenceTracker] = {}
        self._ignore = tuple(ctx.config.pickup.ignore_patterns)

    def scan_all(self) -> dt.datetime | None:
        """Scan every outbox and status-out folder. Returns when to look again for items that
        are not quiet yet (quiescence mode), else None."""
        recheck: list[dt.datetime] = []
        for folder_set in self._ctx.organs.folder_sets():
            for status in (False, True):
                when = self.scan(folder_set, status=status)
                if when is not None:
                    recheck.append(when)
        return min(recheck, default=None)

    def scan(self, folder_set: FolderSet, *, status: bool) -> dt.datetime | None:
        folders = folder_set.folders
        directory = folders.status_out if status else folders.outbox
        now = self._ctx.now()
        try:
            items = scan(directory, self._ignore)
        except StorageError as exc:
            log.warning("cannot scan a folder", folder=str(directory), error=exc.message)
            return None
        waiting = False
        tracker = self._trackers.setdefault(directory, QuiescenceTracker(self._settle))
        tracker.prune(items)
        for item in items:
            if not tracker.ready(item, now):
                waiting = True
                continue
            tracker.forget(item)
            self._take(folder_set, item, status=status, now=now)
        return now + dt.timedelta(seconds=self._settle) if waiting else None

    def _take(self, folder_set: FolderSet, item: Path, *, status: bool, now: dt.datetime) -> None:
        folders = folder_set.folders
        work = folders.work_status_out if status else folders.work_outbound
        with log_context(step="pickup", organ=folder_set.organ_id or "", document_id=item.name):
            try:
                claim_dir = claim(item, work, new_claim_id(now, item.name))
            except StorageError as exc:
                log.warning("cannot claim an item; it stays in place", error=exc.message)
                return
            if claim_dir is None:
                return
            if status:
                self._take_status(folder_set, claim_dir)
                return
            self._ctx.failpoints.hit("after-pickup")
            self.register(folder_set, claim_dir)

    def register(self, folder_set: FolderSet, claim_dir: Path) -> None:
        """Record a claimed outbox item (PICKED_UP) and wake a worker. Idempotent."""
        item = claimed_item(claim_dir)
        named = None if folder_set.organ_id is not None else peek_sender(item)
        organ = self._ctx.organs.provisional_sender(folder_set.organ_id, named)
        name = item.name if item is not None else claim_dir.name
        self._ctx.journal.add_outbound(organ, claim_dir.name, name, self._ctx.now())
        log.debug("picked up", organ=organ, claim=claim_dir.name)
        self._ctx.wake(Kind.OUTBOUND, None)
