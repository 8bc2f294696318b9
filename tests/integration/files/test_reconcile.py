"""Start-up reconciliation on real folders and a real journal: temporary leftovers removed
(only the agent's own), empty claims cleaned, unregistered claims adopted, missing files seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.files.atomic import TEMP_PREFIX
from agent.files.layout import OrganFolders
from agent.files.pickup import claim
from agent.files.reconcile import (
    missing_files,
    remove_empty_claims,
    remove_temp_leftovers,
    temp_leftovers,
    unregistered_claims,
)
from agent.journal import SqliteJournal

from .conftest import ORGAN, T0, tree


def test_temporary_leftovers_are_found_and_only_they_are_removed(folders: OrganFolders) -> None:
    """A half-published inbox folder, a half-written receipt and a temp file in a claim are
    removed; the DMS's own half-written item (.partial) is left alone."""
    (folders.inbox / f"{TEMP_PREFIX}ab12-doc").mkdir()
    (folders.inbox / f"{TEMP_PREFIX}ab12-doc" / "package.edxml").write_text("half")
    (folders.receipts / f"{TEMP_PREFIX}cd34-c1.json").write_text("{")
    (folders.work_outbound / "c1").mkdir()
    (folders.work_outbound / "c1" / f"{TEMP_PREFIX}ef56-package.edxml").write_text("<")
    (folders.outbox / ".412.partial").write_text("DMS still writing")
    found = temp_leftovers(folders)
    assert sorted(p.name for p in found) == [f"{TEMP_PREFIX}ab12-doc", f"{TEMP_PREFIX}cd34-c1.json",
                                       f"{TEMP_PREFIX}ef56-package.edxml"]
    assert remove_temp_leftovers(found) == 3
    assert temp_leftovers(folders) == []
    assert (folders.outbox / ".412.partial").exists()
    with pytest.raises(ValueError, match="not a temporary name"):
        remove_temp_leftovers([folders.outbox / ".412.partial"])


def test_deep_scan_also_looks_inside_delivered_folders(folders: OrganFolders) -> None:
    """A change note interrupted inside an inbox folder is found by the deep scan only."""
    (folders.inbox / "doc" / "changes").mkdir(parents=True)
    (folders.inbox / "doc" / "changes" / f"{TEMP_PREFIX}x-1.json").write_text("{")
    assert temp_leftovers(folders) == []
    assert len(temp_leftovers(folders, deep=True)) == 1


def test_empty_claims_left_by_a_crash_are_removed(folders: OrganFolders) -> None:
    """A claim folder with an empty item/ (crash before the rename) goes; full ones stay."""
    (folders.work_outbound / "empty" / "item").mkdir(parents=True)
    (folders.outbox / "a.edxml").write_text("x")
    claim(folders.outbox / "a.edxml", folders.work_outbound, "full")
    assert remove_empty_claims(folders.work_outbound) == ["empty"]
    assert tree(folders.work_outbound) == ["full", "full/item", "full/item/a.edxml"]


def test_a_claim_without_a_journal_row_is_found_and_adopted(
    folders: OrganFolders, tmp_path: Path
) -> None:
    """The crash came after the rename and before the journal row: the claim is found, and
    registering it (idempotent) makes it known; nothing is lost or picked twice."""
    journal = SqliteJournal.open(tmp_path / "journal.sqlite")
    try:
        for name in ("a.edxml", "b.edxml"):
            (folders.outbox / name).write_text("x")
            claim(folders.outbox / name, folders.work_outbound, f"claim-{name}")
        journal.add_outbound(ORGAN, "claim-a.edxml", "a.edxml", T0)
        orphans = unregistered_claims(folders.work_outbound, journal.known_claims)
        assert [p.name for p in orphans] == ["claim-b.edxml"]
        journal.add_outbound(ORGAN, orphans[0].name, "b.edxml", T0)
        assert unregistered_claims(folders.work_outbound, journal.known_claims) == []
    finally:
        journal.close()


def test_missing_files_names_the_rows_whose_files_are_gone(folders: OrganFolders) -> None:
    """Each key whose path does not exist (a dangling symbolic link counts as present)."""
    (folders.sent / "c1").mkdir()
    (folders.sent / "link").symlink_to(folders.sent / "nowhere")
    expected = {1: folders.sent / "c1", 2: folders.work_outbound / "c2", 3: folders.sent / "link"}
    assert missing_files(expected) == [2]
