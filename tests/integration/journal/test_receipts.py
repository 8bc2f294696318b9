"""Status receipts in a real SQLite journal: queueing with idempotency keys, sending, and
applying received receipts to the right document, once, in any order."""

from __future__ import annotations

import datetime as dt

from agent.core.lifecycle import ChangeState, DeliveryState, Kind, ReceiptInState
from agent.journal import ReceiptRequest, SqliteJournal, StatusFacts

from .conftest import COMMUNE, DISTRICT, SENDER, T0, facts, later

OUT, RO, RI = Kind.OUTBOUND, Kind.RECEIPT_OUT, Kind.RECEIPT_IN
VN = dt.timezone(dt.timedelta(hours=7))


def _sent(journal: SqliteJournal, document_id: str = "D1") -> int:
    item = journal.add_outbound(SENDER, f"claim-{document_id}", "a", T0)
    journal.record_validated(item.id, facts(document_id), T0)
    journal.record_package(OUT, item.id, "p", "00", T0)
    journal.start_attempt(OUT, item.id, T0)
    journal.record_sent(OUT, item.id, "axis", T0)
    return item.id


def _receive(journal: SqliteJournal, axis_doc_id: str, code: str, organ: str = DISTRICT,
             minute: int = 0, document_id: str = "D1", doc_code: str | None = None) -> int:
    listed = journal.record_listed(RI, SENDER, axis_doc_id, T0)
    journal.record_fetched(RI, listed.id, f"/spool/{axis_doc_id}", "00", T0)
    status = StatusFacts(
        from_organ=organ, to_organ=SENDER, document_id=document_id, doc_code=doc_code,
        status_code=code, description="Đã tiếp nhận", staff={"Staff": "Lê Văn C"},
        status_time=dt.datetime(2024, 11, 5, 9, minute, tzinfo=VN),
    )
    return journal.apply_status(listed.id, status, later(1)).id


def test_a_receipt_is_queued_once_per_source_key(journal: SqliteJournal) -> None:
    """A status-out item read again after a crash does not queue a second receipt."""
    request = ReceiptRequest(organ_id=DISTRICT, to_organ=SENDER, document_id="D1",
                             doc_code="412/STTTT-VP", status_code="03",
                             staff={"Staff": "Lê Văn C"}, source_key="status-out:claim-9")
    first = journal.queue_receipt(request, T0)
    again = journal.queue_receipt(request, later(5))
    assert again.id == first.id and again.staff == {"Staff": "Lê Văn C"}
    assert first.status_time == T0


def test_a_receipt_is_built_sent_and_recorded_on_its_document(journal: SqliteJournal) -> None:
    """BUILT keeps the bytes, SENT keeps the DocId, the received document's timeline says so."""
    listed = journal.record_listed(Kind.INBOUND, DISTRICT, "in-1", T0)
    receipt = journal.queue_receipt(ReceiptRequest(
        organ_id=DISTRICT, to_organ=SENDER, document_id="D1", doc_code=None, status_code="01",
        inbound_id=listed.id), T0)
    assert journal.record_package(RO, receipt.id, "/work/r1.edxml", "11", T0) == "built"
    assert journal.start_attempt(RO, receipt.id, T0) == "sending"
    assert journal.record_sent(RO, receipt.id, "axis-r1", later(1)) == "sent"
    sent = journal.receipt_out(receipt.id)
    assert sent is not None and (sent.axis_doc_id, sent.due_at) == ("axis-r1", None)
    assert journal.timeline(Kind.INBOUND, listed.id)[-1].event == "receipt-sent"


def test_a_received_receipt_moves_its_recipient_forward(journal: SqliteJournal) -> None:
    """03 then a late 01: progress stays at 03, delivery is proven, both are on the timeline."""
    item_id = _sent(journal)
    _receive(journal, "r1", "03", minute=5)
    applied = journal.receipt_in(_receive(journal, "r2", "01", minute=1))
    assert applied is not None and applied.state is ReceiptInState.APPLIED
    assert (applied.matched_kind, applied.matched_id) == (OUT, item_id)
    district = {r.organ_id: r for r in journal.recipients(item_id)}[DISTRICT]
    assert (district.progress, district.delivery) == ("03", DeliveryState.DELIVERED)
    codes = [e.code for e in journal.timeline(OUT, item_id) if e.event == "receipt"]
    assert codes == ["03", "01"]


def test_a_copy_of_a_receipt_is_applied_once(journal: SqliteJournal) -> None:
    """The same receipt under a second axis docId is acknowledged but not recorded twice."""
    item_id = _sent(journal)
    _receive(journal, "r1", "05")
    _receive(journal, "r2", "05")
    codes = [e.code for e in journal.timeline(OUT, item_id) if e.event == "receipt"]
    assert codes == ["05"]


def test_answers_to_a_change_request_are_tracked(journal: SqliteJournal) -> None:
    """15 and 16 set each recipient's change track."""
    item_id = _sent(journal)
    _receive(journal, "r1", "15", organ=DISTRICT)
    _receive(journal, "r2", "16", organ=COMMUNE)
    changes = {r.organ_id: r.change for r in journal.recipients(item_id)}
    assert changes == {DISTRICT: ChangeState.AGREED, COMMUNE: ChangeState.REFUSED}


def test_a_receipt_falls_back_to_the_document_code(journal: SqliteJournal) -> None:
    """A receipt whose DocumentId does not match is matched by "số/ký hiệu" (AXIS.md §6)."""
    item_id = _sent(journal)
    receipt = journal.receipt_in(_receive(journal, "r1", "01", document_id="uuid-from-lgsp",
                                          doc_code="412/STTTT-VP"))
    assert receipt is not None and receipt.matched_id == item_id


def test_a_receipt_for_no_known_document_is_unmatched(journal: SqliteJournal) -> None:
    """UNMATCHED is acknowledged done like APPLIED but touches no document."""
    receipt_id = _receive(journal, "r1", "03", document_id="unknown")
    receipt = journal.receipt_in(receipt_id)
    assert receipt is not None and receipt.state is ReceiptInState.UNMATCHED
    assert journal.record_acknowledged(RI, receipt_id, later(2)) == "acked"


def test_a_take_back_request_is_applied_to_the_received_document(
    journal: SqliteJournal,
) -> None:
    """Status 13 comes from the original sender and lands on the copy we received."""
    listed = journal.record_listed(Kind.INBOUND, SENDER, "in-1", T0)
    journal.record_fetched(Kind.INBOUND, listed.id, "/spool/in-1", "00", T0)
    journal.record_verified(listed.id, facts("D1", sender_id=DISTRICT), T0)
    receipt_id = _receive(journal, "r13", "13", organ=DISTRICT)
    receipt = journal.receipt_in(receipt_id)
    assert receipt is not None
    assert (receipt.matched_kind, receipt.matched_id) == (Kind.INBOUND, listed.id)
    assert journal.timeline(Kind.INBOUND, listed.id)[-1].code == "13"


def test_a_malformed_receipt_is_acknowledged_as_failed(journal: SqliteJournal) -> None:
    """MALFORMED keeps its reason and settles as REJECTED after the fail acknowledgement."""
    listed = journal.record_listed(RI, SENDER, "r1", T0)
    assert journal.record_failure(RI, listed.id, {"message": "not XML"}, T0) == "malformed"
    assert journal.record_acknowledged(RI, listed.id, later(1)) == "rejected"
