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
from agent.files.reconcile import claims, unregistered_claims
from agent.observability import get_logger, log_context
from agent.services.context import ServiceContext
from agent.services.organs import FolderSet

log = get_logger(__name__)
_FROM = re.compile(rb"<(?:\w+:)?From>\s*<(?:\w+:)?OrganId>\s*([^<\s]+)\s*<")
StatusTaker = Callable[[FolderSet, Path], None]
REGISTER_BATCH = 32  # claimed outbox items recorded per journal transaction during a scan
RETRY_SECONDS = 5.0  # a scan that could not record what it claimed looks again this soon


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
        self._orphans = False  # claims in the work area that the journal could not record

    def scan_all(self) -> dt.datetime | None:
        """Scan every outbox and status-out folder. Returns when to look again for items that
        are not quiet yet (quiescence mode) or claims that could not be recorded, else None."""
        recheck: list[dt.datetime] = []
        if self._orphans:
            self._adopt_orphans()
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
        claimed: list[Path] = []
        for item in items:
            if not tracker.ready(item, now):
                waiting = True
                continue
            tracker.forget(item)
            claim_dir = self._take(folder_set, item, status=status, now=now)
            if claim_dir is not None:
                claimed.append(claim_dir)
            if len(claimed) >= REGISTER_BATCH:
                self._record(folder_set, claimed)
                claimed = []
        self._record(folder_set, claimed)
        if self._orphans:
            return now + dt.timedelta(seconds=RETRY_SECONDS)
        return now + dt.timedelta(seconds=self._settle) if waiting else None

    def _record(self, folder_set: FolderSet, claimed: list[Path]) -> None:
        try:
            self.register_all(folder_set, claimed)
        except LienthongError as exc:
            self._orphaned(exc, len(claimed))

    def _orphaned(self, exc: LienthongError, count: int) -> None:
        """The journal refused to record claimed items (a full disk): they wait in the work
        area and are recorded by a later scan once it works again, as start-up would."""
        self._orphans = True
        log.error("picked-up items cannot be recorded in the journal; retrying",
                  error=exc.message, hint=exc.hint, items=count)

    def _adopt_orphans(self) -> None:
        """Record the claims an earlier failure left unrecorded (start-up recovery's work)."""
        try:
            for folder_set in self._ctx.organs.folder_sets():
                folders = folder_set.folders
                self.register_all(folder_set, unregistered_claims(
                    folders.work_outbound, self._ctx.journal.known_claims))
                for claim_dir in claims(folders.work_status_out):
                    self._take_status(folder_set, claim_dir)
        except LienthongError as exc:
            log.debug("the claims still cannot be recorded", error=exc.message)
            return
        self._orphans = False
        log.info("picked-up items recorded after all")

    def _take(self, folder_set: FolderSet, item: Path, *, status: bool, now: dt.datetime
              ) -> Path | None:
        """Claim one item; a status file is handed over at once, an outbox item's claim folder
        is returned for :meth:`register_all` (a crash in between is the 'after-pickup' case:
        start-up registers the claim)."""
        folders = folder_set.folders
        work = folders.work_status_out if status else folders.work_outbound
        with log_context(step="pickup", organ=folder_set.organ_id or "", document_id=item.name):
            try:
                claim_dir = claim(item, work, new_claim_id(now, item.name))
            except StorageError as exc:
                log.warning("cannot claim an item; it stays in place", error=exc.message)
                return None
            if claim_dir is None:
                return None
            if status:
                try:
                    self._take_status(folder_set, claim_dir)
                except LienthongError as exc:
                    self._orphaned(exc, 1)
                return None
            self._ctx.failpoints.hit("after-pickup")
            return claim_dir

    def register(self, folder_set: FolderSet, claim_dir: Path) -> None:
        """Record a claimed outbox item (PICKED_UP) and wake a worker. Idempotent."""
        self.register_all(folder_set, [claim_dir])

    def register_all(self, folder_set: FolderSet, claim_dirs: list[Path]) -> None:
        """Record claimed outbox items in ONE journal transaction (a burst of drops costs one
        commit per batch, not one per item: the pickup thread kept the workers waiting), then
        wake a worker. Idempotent."""
        entries = []
        for claim_dir in claim_dirs:
            item = claimed_item(claim_dir)
            named = None if folder_set.organ_id is not None else peek_sender(item)
            organ = self._ctx.organs.provisional_sender(folder_set.organ_id, named)
            entries.append((organ, claim_dir.name, item.name if item is not None else
                            claim_dir.name))
        if not entries:
            return
        journal = self._ctx.journal
        with journal.batch():
            for organ, claim_id, name in entries:
                journal.add_outbound(organ, claim_id, name, self._ctx.now())
        for organ, claim_id, _ in entries:
            log.debug("picked up", organ=organ, claim=claim_id)
        self._ctx.wake(Kind.OUTBOUND, None)
