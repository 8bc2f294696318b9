"""Inbound documents in a real SQLite journal: listing, de-duplication by axis docId and by
DocumentId, delivery, changes to earlier documents and acknowledgements with receipts queued."""

from __future__ import annotations

import pytest

from agent.core.lifecycle import InboundState, Kind, ReceiptOutState
from agent.errors import IllegalTransitionError, JournalError
from agent.journal import ReceiptRequest, SqliteJournal

from .conftest import COMMUNE, DISTRICT, SENDER, T0, facts, later

IN = Kind.INBOUND


def _verified(journal: SqliteJournal, axis_doc_id: str, organ: str = DISTRICT,
              document_id: str = "D1", business_type: int = 0) -> int:
    listed = journal.record_listed(IN, organ, axis_doc_id, T0)
    journal.record_fetched(IN, listed.id, f"/spool/{axis_doc_id}", "cd" * 32, T0)
    journal.record_verified(listed.id, facts(document_id, business_type=business_type), T0)
    return listed.id


def _receipt_01(item_id: int) -> ReceiptRequest:
    return ReceiptRequest(organ_id=DISTRICT, to_organ=SENDER, document_id="D1",
                          doc_code="412/STTTT-VP", status_code="01", inbound_id=item_id,
                          source_key=f"auto-01:{item_id}")


def test_listing_the_same_axis_item_again_returns_the_known_item(journal: SqliteJournal) -> None:
    """The axis lists an item until it is acknowledged: the journal keeps one row per docId."""
    first = journal.record_listed(IN, DISTRICT, "68edb8c8c2dcb14db773ce44", T0)
    again = journal.record_listed(IN, DISTRICT, "68edb8c8c2dcb14db773ce44", later(60))
    assert first.created and not again.created
    assert (again.id, again.state) == (first.id, InboundState.LISTED)


def test_a_document_is_delivered_then_acknowledged_with_its_01(journal: SqliteJournal) -> None:
    """ack-done settles the item and queues the automatic 01 in the same transaction."""
    item_id = _verified(journal, "a1")
    journal.record_delivered(item_id, "/inbox/D1--a1", None, later(1))
    state = journal.record_acknowledged(IN, item_id, later(2), [_receipt_01(item_id)])
    assert state == "acked"
    [receipt] = journal.claim_receipts_out(later(2), 10)
    assert (receipt.status_code, receipt.inbound_id, receipt.state) == (
        "01", item_id, ReceiptOutState.QUEUED)
    assert [e.event for e in journal.timeline(IN, item_id)] == [
        "listed", "fetched", "verified", "delivered", "ack-done", "receipt-queued"]


def test_nothing_is_acknowledged_before_its_delivery(journal: SqliteJournal) -> None:
    """A verified but undelivered document cannot be recorded as acknowledged, and the 01
    that would have come with it is not queued either."""
    item_id = _verified(journal, "a1")
    with pytest.raises(IllegalTransitionError, match="not waiting for an acknowledgement"):
        journal.record_acknowledged(IN, item_id, later(1), [_receipt_01(item_id)])
    assert journal.claim_receipts_out(later(1), 10) == []


def test_a_second_copy_of_a_document_is_recognised(journal: SqliteJournal) -> None:
    """The same DocumentId from the same sender under a new axis docId (the sender retried
    after a lost acknowledgement) becomes DUPLICATE and is acknowledged without delivery."""
    first = _verified(journal, "a1")
    second = _verified(journal, "a2")
    record = journal.inbound(second)
    assert record is not None
    assert (record.state, record.duplicate_of) == (InboundState.DUPLICATE, first)
    assert journal.record_acknowledged(IN, second, later(1)) == "duplicate-acked"
    found = journal.find_inbound(DISTRICT, SENDER, "D1")
    assert found is not None and found.id == first


def test_a_copy_waits_until_the_first_copy_is_delivered(journal: SqliteJournal) -> None:
    """A duplicate recognised while the first copy is still undelivered is not due: its
    acknowledgement cannot run ahead of the delivery. The delivery makes it due."""
    first = _verified(journal, "a1")
    second = _verified(journal, "a2")
    assert [r.id for r in journal.claim_inbound(later(1), 10)] == [first]
    journal.record_delivered(first, "/inbox/D1__a1", None, later(2))
    journal.release(IN, first)
    assert {r.id for r in journal.claim_inbound(later(3), 10)} == {first, second}


def test_copies_for_two_of_our_organs_are_both_delivered(journal: SqliteJournal) -> None:
    """One agent serving two recipients of the same document delivers it to each of them."""
    a = _verified(journal, "a1", organ=DISTRICT)
    b = _verified(journal, "a2", organ=COMMUNE)
    states = [r.state for r in (journal.inbound(a), journal.inbound(b)) if r]
    assert states == [InboundState.VERIFIED, InboundState.VERIFIED]


def test_a_recall_is_not_a_duplicate_of_its_original(journal: SqliteJournal) -> None:
    """A recall repeats the original DocumentId with type 1: it is applied to the original,
    whose timeline records the change."""
    original = _verified(journal, "a1")
    journal.record_delivered(original, "/inbox/D1", None, T0)
    recall = _verified(journal, "a2", business_type=1)
    record = journal.record_delivered(recall, None, original, later(1))
    assert (record.state, record.applied_to) == (InboundState.APPLIED, original)
    changed = journal.timeline(IN, original)[-1]
    assert (changed.event, changed.detail["by"]) == ("changed", recall)


def test_a_delivery_needs_a_folder_or_an_earlier_document(journal: SqliteJournal) -> None:
    """Recording a delivery that put nothing anywhere is refused."""
    item_id = _verified(journal, "a1")
    with pytest.raises(JournalError, match="needs an inbox folder"):
        journal.record_delivered(item_id, None, None, T0)


def test_a_quarantined_document_is_acknowledged_as_failed(journal: SqliteJournal) -> None:
    """QUARANTINED keeps its reason; its acknowledgement is the fail one, then REJECTED."""
    listed = journal.record_listed(IN, DISTRICT, "a1", T0)
    journal.record_fetched(IN, listed.id, "/spool/a1", "00", T0)
    hostile = {"error": "EntityDeclarationError", "code": "xml.entity-declaration",
               "message": "DOCTYPE with ENTITY declarations"}
    assert journal.record_failure(IN, listed.id, hostile, later(1)) == "quarantined"
    assert journal.record_acknowledged(IN, listed.id, later(2)) == "rejected"
    record = journal.inbound(listed.id)
    assert record is not None and record.last_error == hostile and record.due_at is None


def test_requeue_does_not_apply_to_inbound_items(journal: SqliteJournal) -> None:
    """An inbound document cannot be re-queued by `retry`: the axis owns its redelivery."""
    listed = journal.record_listed(IN, DISTRICT, "a1", T0)
    with pytest.raises(IllegalTransitionError, match="cannot be re-queued"):
        journal.requeue(IN, listed.id, T0)


def test_steps_of_another_kind_are_refused(journal: SqliteJournal) -> None:
    """Generic steps check the kind: an inbound item is never 'uploaded'."""
    listed = journal.record_listed(IN, DISTRICT, "a1", T0)
    with pytest.raises(JournalError, match="sending does not apply to inbound items"):
        journal.start_attempt(IN, listed.id, T0)
    with pytest.raises(JournalError, match="listing does not apply to outbound items"):
        journal.record_listed(Kind.OUTBOUND, DISTRICT, "x", T0)
