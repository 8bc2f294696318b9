"""Outbound documents in a real SQLite journal: the path through the states, claims, retries,
re-queueing by an operator, per-recipient delivery and change requests."""

from __future__ import annotations

import pytest

from agent.core.lifecycle import (
    ChangeState,
    DeliveryEvent,
    DeliveryState,
    Kind,
    OutboundState,
)
from agent.errors import IllegalTransitionError, JournalError
from agent.journal import SqliteJournal

from .conftest import COMMUNE, DISTRICT, SENDER, T0, facts, later

OUT = Kind.OUTBOUND
ERROR = {"error": "AxisTransportError", "code": "axis.transport", "message": "reset"}


def _signed(journal: SqliteJournal, claim: str = "c1", document_id: str = "D1") -> int:
    item = journal.add_outbound(SENDER, claim, f"{claim}.edxml", T0)
    journal.record_validated(item.id, facts(document_id), T0)
    journal.record_package(OUT, item.id, f"/work/{claim}/package.edxml", "ab" * 32, T0)
    return item.id


def test_a_document_goes_from_pickup_to_archive(journal: SqliteJournal) -> None:
    """The normal path ends ARCHIVED and settled, with its DocId, bytes and recipients SENT."""
    item_id = _signed(journal)
    assert journal.start_attempt(OUT, item_id, later(1)) == "uploading"
    assert journal.record_sent(OUT, item_id, "68edb8c8c2dcb14db773ce44", later(2)) == "accepted"
    record = journal.record_archived(item_id, later(3))
    assert record.state is OutboundState.ARCHIVED
    assert (record.axis_doc_id, record.attempts, record.due_at) == (
        "68edb8c8c2dcb14db773ce44", 1, None)
    assert record.package_sha256 == "ab" * 32
    assert [r.delivery for r in journal.recipients(item_id)] == [DeliveryState.SENT] * 2
    events = [e.event for e in journal.timeline(OUT, item_id) if e.organ_id is None]
    assert events == ["picked-up", "validation-passed", "package-signed", "upload-started",
                      "axis-accepted", "archived"]


def test_registering_the_same_claim_twice_is_a_no_op(journal: SqliteJournal) -> None:
    """Start-up can adopt a work-area item again: one row, the first registration kept."""
    first = journal.add_outbound(SENDER, "claim-1", "a.edxml", T0)
    again = journal.add_outbound(SENDER, "claim-1", "a.edxml", later(5))
    assert again.id == first.id and again.created_at == T0
    assert journal.known_claims(["claim-1", "claim-2"]) == {"claim-1"}


def test_an_illegal_transition_raises_and_changes_nothing(journal: SqliteJournal) -> None:
    """Archiving a document the axis never accepted is refused; state and timeline stay."""
    item_id = _signed(journal)
    before = journal.timeline(OUT, item_id)
    with pytest.raises(IllegalTransitionError, match="'archived' is not allowed in state"):
        journal.record_archived(item_id, later(1))
    record = journal.outbound(item_id)
    assert record is not None and record.state is OutboundState.SIGNED
    assert journal.timeline(OUT, item_id) == before


def test_an_unknown_item_is_a_journal_error(journal: SqliteJournal) -> None:
    """Recording an event for an id the journal does not have names the missing item."""
    with pytest.raises(JournalError, match="no outbound item 42"):
        journal.start_attempt(OUT, 42, T0)


def test_claims_hand_each_due_item_to_one_worker(journal: SqliteJournal) -> None:
    """A claimed item is not handed out again until it is released or waits for a retry."""
    ids = [journal.add_outbound(SENDER, f"c{i}", f"{i}.edxml", later(i)).id for i in range(5)]
    first = journal.claim_outbound(later(10), 3)
    second = journal.claim_outbound(later(10), 10)
    assert [r.id for r in first] == ids[:3] and [r.id for r in second] == ids[3:]
    assert journal.claim_outbound(later(10), 10) == []
    journal.release(OUT, ids[0])
    assert [r.id for r in journal.claim_outbound(later(10), 10)] == [ids[0]]


def test_a_claim_carries_the_item_through_its_steps(journal: SqliteJournal) -> None:
    """A transition into a working state keeps the claim; no other worker gets the item."""
    item = journal.add_outbound(SENDER, "c1", "a", T0)
    [claimed] = journal.claim_outbound(T0, 1)
    journal.record_validated(claimed.id, facts(), T0)
    assert journal.claim_outbound(later(1), 10) == []
    journal.record_package(OUT, item.id, "p", "00", later(1))
    journal.start_attempt(OUT, item.id, later(1))
    assert journal.claim_outbound(later(1), 10) == []


def test_a_failed_upload_waits_until_its_retry_time(journal: SqliteJournal) -> None:
    """RETRY_WAIT gives the claim back and the item is due again only at ``retry_at``."""
    item_id = _signed(journal)
    journal.claim_outbound(T0, 1)
    journal.start_attempt(OUT, item_id, T0)
    journal.record_attempt_failed(OUT, item_id, ERROR, later(30), T0)
    assert journal.claim_outbound(later(29), 10) == []
    [again] = journal.claim_outbound(later(30), 10)
    assert again.state is OutboundState.RETRY_WAIT and again.last_error == ERROR
    journal.start_attempt(OUT, item_id, later(30))
    sent = journal.record_sent(OUT, item_id, "doc", later(31))
    record = journal.outbound(item_id)
    assert sent == "accepted" and record is not None
    assert record.attempts == 2 and record.last_error is None


def test_giving_up_keeps_the_reason_until_the_claim_is_in_failed(journal: SqliteJournal) -> None:
    """FAILING -> FAILED keeps the error for the error file; `retry` re-sends the kept bytes."""
    item_id = _signed(journal)
    journal.start_attempt(OUT, item_id, T0)
    rejected = {"error": "AxisRejectedError", "code": "axis.rejected", "message": "no"}
    assert journal.record_failure(OUT, item_id, rejected, later(1)) == "failing"
    failed = journal.record_archived(item_id, later(2))
    assert failed.state is OutboundState.FAILED and failed.last_error == rejected
    assert journal.requeue(OUT, item_id, later(3)) == "retry-wait"
    record = journal.outbound(item_id)
    assert record is not None and record.attempts == 0 and record.due_at == later(3)


def test_requeue_without_kept_bytes_starts_from_validation(journal: SqliteJournal) -> None:
    """An item that failed validation goes back to PICKED_UP when an operator re-queues it."""
    item = journal.add_outbound(SENDER, "c1", "bad", T0)
    journal.record_failure(OUT, item.id, {"message": "bad metadata"}, T0)
    journal.record_archived(item.id, T0)
    assert journal.requeue(OUT, item.id, later(1)) == "picked-up"
    with pytest.raises(IllegalTransitionError):
        journal.requeue(OUT, item.id, later(1))


def test_postpone_keeps_the_state_and_counts_the_attempt(journal: SqliteJournal) -> None:
    """A transient failure of a step keeps the state and makes the item due later."""
    item = journal.add_outbound(SENDER, "c1", "a", T0)
    journal.claim_outbound(T0, 1)
    journal.postpone(OUT, item.id, {"message": "directory not synced"}, later(60), T0)
    record = journal.outbound(item.id)
    assert record is not None
    assert (record.state, record.attempts, record.due_at) == (OutboundState.PICKED_UP, 1,
                                                              later(60))
    assert [r.id for r in journal.claim_outbound(later(60), 5)] == [item.id]


def test_postponing_a_settled_item_is_refused(journal: SqliteJournal) -> None:
    """A settled item never becomes due again by accident."""
    item_id = _signed(journal)
    journal.start_attempt(OUT, item_id, T0)
    journal.record_sent(OUT, item_id, "doc", T0)
    journal.record_archived(item_id, T0)
    with pytest.raises(IllegalTransitionError):
        journal.postpone(OUT, item_id, None, later(5), T0)


def test_delivery_reports_follow_the_delivery_table(journal: SqliteJournal) -> None:
    """Axis reports move one recipient; a report before acceptance is refused."""
    item_id = _signed(journal)
    with pytest.raises(IllegalTransitionError):
        journal.record_delivery(item_id, DISTRICT, DeliveryEvent.AXIS_DELIVERED, T0)
    journal.start_attempt(OUT, item_id, T0)
    journal.record_sent(OUT, item_id, "doc", T0)
    journal.record_delivery(item_id, DISTRICT, DeliveryEvent.AXIS_DELIVERED, later(1))
    failed = journal.record_delivery(item_id, COMMUNE, DeliveryEvent.AXIS_FAILED, later(1), "x")
    assert failed.delivery is DeliveryState.UNDELIVERABLE
    states = {r.organ_id: r.delivery for r in journal.recipients(item_id)}
    assert states == {DISTRICT: DeliveryState.DELIVERED, COMMUNE: DeliveryState.UNDELIVERABLE}
    with pytest.raises(JournalError, match="not a recipient"):
        journal.record_delivery(item_id, "000.00.00.G22", DeliveryEvent.AXIS_FAILED, T0)


def test_a_recall_opens_a_change_request_on_the_original(journal: SqliteJournal) -> None:
    """Validating a recall (type 1) marks the original's recipients REQUESTED; the recall is
    found after the original when looking the DocumentId up."""
    original = _signed(journal, "c1", "D1")
    recall = journal.add_outbound(SENDER, "c2", "recall", later(1))
    journal.record_validated(recall.id, facts("D1", business_type=1, ref_document_id="D1",
                                              recipients=(DISTRICT,)), later(1))
    changes = {r.organ_id: r.change for r in journal.recipients(original)}
    assert changes == {DISTRICT: ChangeState.REQUESTED, COMMUNE: ChangeState.NONE}
    assert [r.id for r in journal.find_outbound(SENDER, "D1")] == [original, recall.id]


def test_duplicate_recipients_are_stored_once(journal: SqliteJournal) -> None:
    """A recipient listed twice in the metadata gets one row."""
    item = journal.add_outbound(SENDER, "c1", "a", T0)
    journal.record_validated(item.id, facts(recipients=(DISTRICT, DISTRICT)), T0)
    assert [r.organ_id for r in journal.recipients(item.id)] == [DISTRICT]
