"""Pickup from outbox/ on a real file system: what is ignored, what is complete, and claiming an
item into the work area exactly once."""

from __future__ import annotations

import os
import re
from pathlib import Path

from agent.files.layout import OrganFolders
from agent.files.pickup import (
    ItemKind,
    QuiescenceTracker,
    claim,
    claimed_item,
    classify,
    new_claim_id,
    scan,
)

from .conftest import T0, later, tree


def _folder_item(outbox: Path, name: str) -> Path:
    item = outbox / name
    item.mkdir()
    (item / "metadata.yaml").write_text("to: [000.00.31.H53]\n")
    (item / "a.pdf").write_bytes(b"%PDF-1.4")
    return item


def test_items_being_written_are_never_seen(folders: OrganFolders) -> None:
    """Dot names, .tmp, .part, ~$ lock files and the agent's temporary names are ignored."""
    for name in [".412.partial", "413.edxml.tmp", "414.part", "~$lock.docx",
                 ".lienthong-tmp-abc-x", "415.edxml"]:
        (folders.outbox / name).write_text("x")
    assert [p.name for p in scan(folders.outbox)] == ["415.edxml"]
    assert sorted(p.name for p in scan(folders.outbox, patterns=())) == [
        ".412.partial", "413.edxml.tmp", "414.part", "415.edxml", "~$lock.docx"]


def test_scan_returns_the_oldest_item_first(folders: OrganFolders) -> None:
    """Items come out in the order they arrived (modification time), then by name."""
    for name, mtime in [("b.edxml", 300), ("a.edxml", 200), ("c.edxml", 100)]:
        (folders.outbox / name).write_text("x")
        os.utime(folders.outbox / name, (mtime, mtime))
    assert [p.name for p in scan(folders.outbox)] == ["c.edxml", "a.edxml", "b.edxml"]


def test_items_are_classified_by_the_contract(folders: OrganFolders) -> None:
    """A package file, a folder with a metadata file, a status file; anything else is unknown."""
    (folders.outbox / "a.edxml").write_text("<edXML/>")
    _folder_item(folders.outbox, "doc")
    (folders.outbox / "empty").mkdir()
    (folders.outbox / "note.docx").write_text("x")
    os.symlink(folders.outbox / "a.edxml", folders.outbox / "link.edxml")
    (folders.status_out / "s.json").write_text("{}")
    kinds = {p.name: classify(p) for p in scan(folders.outbox)}
    assert kinds == {"a.edxml": ItemKind.PACKAGE, "doc": ItemKind.FOLDER,
                     "empty": ItemKind.UNKNOWN, "note.docx": ItemKind.UNKNOWN,
                     "link.edxml": ItemKind.UNKNOWN}
    assert classify(folders.status_out / "s.json", status=True) is ItemKind.STATUS
    assert classify(folders.outbox / "a.edxml", status=True) is ItemKind.UNKNOWN


def test_quiescence_waits_until_nothing_changed_for_the_settle_time(
    folders: OrganFolders,
) -> None:
    """A folder whose file keeps growing is not ready; once unchanged for 10 s it is."""
    item = _folder_item(folders.outbox, "doc")
    tracker = QuiescenceTracker(settle_seconds=10)
    assert not tracker.ready(item, T0)
    assert not tracker.ready(item, later(9))
    with (item / "a.pdf").open("ab") as f:
        f.write(b" more bytes")
    assert not tracker.ready(item, later(15))  # changed: the wait starts again
    assert not tracker.ready(item, later(24))
    assert tracker.ready(item, later(25))


def test_quiescence_sees_a_new_file_in_a_folder(folders: OrganFolders) -> None:
    """A file added to a folder (same sizes elsewhere) restarts the wait."""
    item = _folder_item(folders.outbox, "doc")
    tracker = QuiescenceTracker(settle_seconds=5)
    tracker.ready(item, T0)
    (item / "b.pdf").write_bytes(b"")
    assert not tracker.ready(item, later(5))
    assert tracker.ready(item, later(10))
    tracker.prune([])
    assert not tracker.ready(item, later(11))


def test_an_item_that_vanishes_is_simply_not_ready(folders: OrganFolders) -> None:
    """The DMS takes an item back while the tracker watches it: not ready, no error."""
    item = _folder_item(folders.outbox, "doc")
    tracker = QuiescenceTracker(settle_seconds=0)
    assert tracker.ready(item, T0)
    (item / "a.pdf").unlink()
    (item / "metadata.yaml").unlink()
    item.rmdir()
    assert not tracker.ready(item, later(1))


def test_a_claim_moves_the_item_whole_into_the_work_area(folders: OrganFolders) -> None:
    """After claim() the item is gone from outbox/ and sits, unchanged, in its claim folder."""
    _folder_item(folders.outbox, "412-STTTT-VP")
    claim_id = new_claim_id(T0, "412-STTTT-VP")
    claim_dir = claim(folders.outbox / "412-STTTT-VP", folders.work_outbound, claim_id)
    assert claim_dir == folders.work_outbound / claim_id
    assert tree(folders.outbox) == []
    assert tree(claim_dir) == ["item", "item/412-STTTT-VP", "item/412-STTTT-VP/a.pdf",
                               "item/412-STTTT-VP/metadata.yaml"]
    assert claimed_item(claim_dir) == claim_dir / "item" / "412-STTTT-VP"


def test_an_item_that_vanished_is_not_claimed(folders: OrganFolders) -> None:
    """If the item is gone when the rename runs, no empty claim stays behind."""
    assert claim(folders.outbox / "gone.edxml", folders.work_outbound, "c1") is None
    assert tree(folders.work_outbound) == []


def test_claim_ids_are_sortable_readable_and_unique() -> None:
    """``<UTC time>-<6 hex>-<name>``, the name cut to 100 bytes without breaking a letter."""
    first, second = new_claim_id(T0, "Công văn 412"), new_claim_id(T0, "Công văn 412")
    assert re.fullmatch(r"20241105T013000Z-[0-9a-f]{6}-Công văn 412", first)
    assert first != second
    long = new_claim_id(T0, "đ" * 200)
    assert len(long.encode()) <= 24 + 100 and long.endswith("đ")
