"""receipts/<claim>.json built from a real journal: the document, each recipient's delivery and
progress, every receipt with its time and staff, in the format of docs/folder-contract.md §6."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from agent.core.lifecycle import Kind
from agent.files.layout import OrganFolders
from agent.files.receipts import receipts_path, receipts_timeline, write_receipts_timeline
from agent.journal import DocumentFacts, SqliteJournal, StatusFacts

from .conftest import ORGAN, T0, later, tree

VN = dt.timezone(dt.timedelta(hours=7))
DISTRICT, COMMUNE = "000.00.31.H53", "000.22.31.H53"


def _journal_with_a_sent_document(path: Path) -> tuple[SqliteJournal, int]:
    journal = SqliteJournal.open(path)
    item = journal.add_outbound(ORGAN, "c1", "412-STTTT-VP", T0)
    journal.record_validated(item.id, DocumentFacts(
        document_id="D1", sender_id=ORGAN, recipients=(DISTRICT, COMMUNE),
        code="412/STTTT-VP"), T0)
    journal.record_package(Kind.OUTBOUND, item.id, "p", "00", T0)
    journal.start_attempt(Kind.OUTBOUND, item.id, T0)
    journal.record_sent(Kind.OUTBOUND, item.id, "68edb8c8c2dcb14db773ce44", later(1))
    journal.record_archived(item.id, later(2))
    for n, code in enumerate(["01", "03"]):
        listed = journal.record_listed(Kind.RECEIPT_IN, ORGAN, f"r{n}", later(3))
        journal.record_fetched(Kind.RECEIPT_IN, listed.id, "s", "00", later(3))
        journal.apply_status(listed.id, StatusFacts(
            from_organ=DISTRICT, to_organ=ORGAN, document_id="D1", doc_code=None,
            status_code=code, description="Đã vào sổ" if code == "03" else "",
            staff={"name": "Lê Văn C"},
            status_time=dt.datetime(2024, 11, 5, 9, n, tzinfo=VN)), later(4 + n))
    return journal, item.id


def test_the_timeline_file_holds_every_recipient_and_receipt(
    folders: OrganFolders, tmp_path: Path
) -> None:
    """Built from journal records, written atomically; the JSON says what the contract says."""
    journal, item_id = _journal_with_a_sent_document(tmp_path / "journal.sqlite")
    try:
        document = journal.outbound(item_id)
        assert document is not None
        timeline = receipts_timeline(document, journal.recipients(item_id),
                                     journal.timeline(Kind.OUTBOUND, item_id), later(10))
    finally:
        journal.close()
    path = write_receipts_timeline(folders, document.claim_id, timeline)
    assert path == receipts_path(folders, "c1") and tree(folders.receipts) == ["c1.json"]
    data = json.loads(path.read_text(encoding="utf-8"))
    assert {k: data[k] for k in ("item", "document_id", "code", "axis_doc_id", "state")} == {
        "item": "412-STTTT-VP", "document_id": "D1", "code": "412/STTTT-VP",
        "axis_doc_id": "68edb8c8c2dcb14db773ce44", "state": "archived"}
    assert data["accepted_at"] == later(1).isoformat()
    district, commune = data["recipients"]
    assert (district["organ_id"], district["delivery"], district["progress"]) == (
        DISTRICT, "delivered", "03")
    assert district["progress_meaning"] == "Đã tiếp nhận"
    assert [(r["code"], r["meaning"], r["status_time"]) for r in district["receipts"]] == [
        ("01", "Đã đến", "2024-11-05T09:00:00+07:00"),
        ("03", "Đã tiếp nhận", "2024-11-05T09:01:00+07:00")]
    assert district["receipts"][1]["staff"] == {"name": "Lê Văn C"}
    assert (commune["delivery"], commune["receipts"]) == ("sent", [])
