"""``send --wait``: following handed-over items through the journal until the axis accepted them
(``sent/``) or the agent gave up (``failed/`` and its error file).

The journal is opened beside the running daemon, without its lock, as ``list`` and ``show`` do.
An item is recognised by its outbox name among the outbound items recorded after the hand-over
(``baseline``: the newest outbound id before it) and, in the per-organ layout, its organ; from
then on by its id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli._send_items import Item
from agent.cli.progress import Progress
from agent.cli.status import ref
from agent.core.lifecycle import Kind

if TYPE_CHECKING:
    from agent.files.layout import OrganFolders
    from agent.journal import OutboundRecord, SqliteJournal

ACCEPTED = ("accepted", "archived")  # the axis returned a DocId (archived: and it is in sent/)
FAILED = ("failed",)  # settled in failed/ with its error file
_PAUSE = 0.2
_PAGE = 200


def newest_outbound(journal_path: Path) -> int:
    """The newest outbound id in the journal (0 when there is no journal yet)."""
    journal = _open(journal_path)
    if journal is None:
        return 0
    try:
        newest = journal.list_items(Kind.OUTBOUND, limit=1)
    finally:
        journal.close()
    return newest[0].id if newest else 0


def _open(journal_path: Path) -> SqliteJournal | None:
    from agent.cli._state import open_journal
    from agent.errors import JournalError

    try:
        return open_journal(journal_path)
    except JournalError:
        if journal_path.is_file():
            raise  # a journal that exists but cannot be read: the operator must know
        return None  # not created yet: no agent has ever run with this configuration


class Follower:
    """Reads what the journal says about the items, one refresh at a time."""

    def __init__(
        self, journal_path: Path, baseline: int, folders: OrganFolders, organ: str | None
    ) -> None:
        self.journal_path = journal_path
        self.baseline = baseline
        self.folders = folders
        self.organ = organ  # the outbox's organ (None in the shared layout: any sender)
        self._journal: SqliteJournal | None = None
        self._ids: dict[str, int] = {}

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def refresh(self, items: Sequence[Item]) -> None:
        """Bring the state of every unsettled item up to date."""
        if self._journal is None:
            self._journal = _open(self.journal_path)
            if self._journal is None:
                return
        journal = self._journal
        open_items = [i for i in items if not settled(i)]
        if any(i.name not in self._ids for i in open_items):
            self._match(journal, open_items)
        for item in open_items:
            item_id = self._ids.get(item.name)
            record = journal.outbound(item_id) if item_id is not None else None
            if record is not None:
                self._update(item, record)
            elif item.outbox_path is not None and not item.outbox_path.exists():
                item.state = "picked-up"  # claimed; its journal row follows at once

    def _match(self, journal: SqliteJournal, items: Sequence[Item]) -> None:
        """Find the ids of items recorded since the baseline, by outbox name (oldest wins)."""
        wanted = {i.name for i in items} - set(self._ids)
        before: int | None = None
        while True:
            page = journal.list_items(Kind.OUTBOUND, limit=_PAGE, before_id=before)
            fresh = [s for s in page if s.id > self.baseline]
            for summary in fresh:
                if summary.label in wanted and self.organ in (None, summary.organ_id):
                    self._ids[summary.label] = summary.id  # newest first: the oldest stays
            if len(fresh) < _PAGE:
                return
            before = page[-1].id

    def _update(self, item: Item, record: OutboundRecord) -> None:
        item.ref, item.state = ref(Kind.OUTBOUND, record.id), record.state.value
        item.axis_doc_id, item.claim_id = record.axis_doc_id, record.claim_id
        if item.state == "archived":
            item.archive = self.folders.sent / record.claim_id
        elif item.state in FAILED:
            item.archive = self.folders.failed / record.claim_id
            item.error = failure(item.archive, record)


def failure(archive: Path, record: OutboundRecord) -> dict[str, Any] | None:
    """The failed item's error.json (every problem, the hint), else the journal's error."""
    try:
        data = json.loads((archive / "error.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict):
        return data
    return None if record.last_error is None else dict(record.last_error)


def settled(item: Item) -> bool:
    return item.state in ACCEPTED or item.state in FAILED or item.outbox_path is None


def follow(
    items: Sequence[Item], follower: Follower, deadline: float,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Refresh until every handed-over item is settled or ``deadline``; a bar on a terminal."""
    watched = [i for i in items if i.outbox_path is not None]
    with Progress("accepted", total=len(watched)) as bar:
        while True:
            follower.refresh(watched)
            accepted = sum(i.state in ACCEPTED for i in watched)
            failed = sum(i.state in FAILED for i in watched)
            bar.update(accepted + failed, label=f"accepted {accepted}, failed {failed}"
                       if failed else "accepted")
            if accepted + failed == len(watched) or clock() >= deadline:
                return
            time.sleep(_PAUSE)


def mark_overdue(items: Sequence[Item], timeout: float) -> None:
    """Say why each item still open at the deadline is open."""
    for item in items:
        if settled(item):
            continue
        if item.state == "handed-over":
            item.state = "waiting"
            item.error = {"code": "send.not-picked-up", "message": (
                f"no agent picked it up within {timeout:g} s: is the agent running? It stays in"
                " the outbox; the agent sends it when it starts")}
        else:
            follow_up = f"lienthong-agent show {item.ref}" if item.ref else "lienthong-agent list"
            item.error = {"code": "send.timeout", "message": (
                f"still {item.state} after {timeout:g} s; the agent keeps working on it"
                f" (follow it: {follow_up})")}
