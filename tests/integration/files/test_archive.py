"""Archiving on a real file system: sent/ and failed/ get the whole claim, failures carry error
files that say what and how to fix it, quarantine and receipts are rewritten safely, and every
step can be repeated after a crash."""

from __future__ import annotations

import json
from pathlib import Path

from agent.errors import AxisRejectedError, EntityDeclarationError, ExchangeItemError
from agent.files.archive import (
    archive_claim,
    fail_claim,
    quarantine,
    restore_claim,
)
from agent.files.layout import OrganFolders
from agent.files.pickup import claim
from agent.files.receipts import receipts_path, write_receipts_timeline

from .conftest import T0, tree


def _claimed(folders: OrganFolders, name: str = "412.edxml") -> Path:
    (folders.outbox / name).write_text("<edXML/>")
    claim_dir = claim(folders.outbox / name, folders.work_outbound, f"c-{name}")
    assert claim_dir is not None
    return claim_dir


def test_a_sent_claim_moves_whole_to_sent(folders: OrganFolders) -> None:
    """The item and its signed package go to sent/<claim>/ in one rename, repeatably."""
    claim_dir = _claimed(folders)
    (claim_dir / "package.edxml").write_text("<signed/>")
    archived = archive_claim(claim_dir, folders.sent)
    assert archive_claim(claim_dir, folders.sent) == archived
    assert tree(folders.sent) == ["c-412.edxml", "c-412.edxml/item",
                                  "c-412.edxml/item/412.edxml", "c-412.edxml/package.edxml"]
    assert tree(folders.work_outbound) == []


def test_a_failed_claim_carries_what_was_wrong_and_how_to_fix_it(folders: OrganFolders) -> None:
    """error.json has code, message, hint and every problem; error.txt says it to a person."""
    claim_dir = _claimed(folders, "doc")
    error = ExchangeItemError("'doc' cannot be used (1 problem)", hint="correct it",
                              problems=("metadata.yaml: At 'to': required, and missing",))
    failed = fail_claim(claim_dir, folders, error, "doc", T0)
    report = json.loads((failed / "error.json").read_text(encoding="utf-8"))
    assert report == {
        "error": "ExchangeItemError", "code": "exchange.item",
        "message": "'doc' cannot be used (1 problem)", "hint": "correct it",
        "problems": ["metadata.yaml: At 'to': required, and missing"],
        "item": "doc", "at": "2024-11-05T01:30:00+00:00",
    }
    text = (failed / "error.txt").read_text(encoding="utf-8")
    assert text.splitlines()[:4] == ["doc: 'doc' cannot be used (1 problem)", "",
                                     "  - metadata.yaml: At 'to': required, and missing", ""]
    assert "How to fix it: correct it" in text


def test_failing_again_after_a_crash_finds_the_claim_in_failed(folders: OrganFolders) -> None:
    """fail_claim repeated after the move returns the failed folder and changes nothing."""
    claim_dir = _claimed(folders)
    error = AxisRejectedError("the axis refused the sender", error_code="19")
    first = fail_claim(claim_dir, folders, error, "412.edxml", T0)
    assert fail_claim(claim_dir, folders, error, "412.edxml", T0) == first
    assert sorted(p.name for p in first.iterdir()) == ["error.json", "error.txt", "item"]


def test_retry_brings_a_failed_claim_back_and_keeps_the_old_error(folders: OrganFolders) -> None:
    """restore_claim moves failed/<claim> back to the work area; error.json becomes
    error.previous.json so a later archive in sent/ is not confusing."""
    claim_dir = _claimed(folders)
    fail_claim(claim_dir, folders, {"message": "axis down"}, "412.edxml", T0)
    restored = restore_claim(folders, claim_dir.name, folders.work_outbound)
    assert restored == claim_dir
    assert sorted(p.name for p in restored.iterdir()) == ["error.previous.json", "item"]
    assert restore_claim(folders, claim_dir.name, folders.work_outbound) == restored


def test_a_quarantined_package_is_kept_with_its_reason(folders: OrganFolders) -> None:
    """quarantine/<axis docId>/ holds the bytes as received and the error files; repeated,
    the same folder is returned."""
    spool = folders.spool / "68ed.edxml"
    spool.write_bytes(b"<!DOCTYPE x [<!ENTITY a 'b'>]><x/>")
    error = EntityDeclarationError("DOCTYPE with ENTITY declarations (billion laughs)")
    folder = quarantine(folders, "68ed", spool, error, T0)
    assert quarantine(folders, "68ed", spool, error, T0) == folder
    assert sorted(p.name for p in folder.iterdir()) == ["error.json", "error.txt",
                                                        "package.edxml"]
    assert json.loads((folder / "error.json").read_text())["code"] == "xml.entity-declaration"
    assert (folder / "package.edxml").read_bytes() == spool.read_bytes()


def test_the_receipts_timeline_is_rewritten_whole(folders: OrganFolders) -> None:
    """Each rewrite replaces the file atomically; no temporary file stays in receipts/."""
    write_receipts_timeline(folders, "c1", {"document_id": "D1", "receipts": []})
    write_receipts_timeline(folders, "c1", {"document_id": "D1", "receipts": [{"code": "01"}]})
    data = json.loads(receipts_path(folders, "c1").read_text())
    assert data["receipts"] == [{"code": "01"}]
    assert tree(folders.receipts) == ["c1.json"]
