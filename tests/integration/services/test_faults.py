"""Retries and give-ups against the sandbox's injected faults; lost acknowledgements and repeated
listings never deliver a document twice."""

from __future__ import annotations

import hashlib
import json

import pytest

from agent.core.lifecycle import Kind

from .conftest import Axis, NodeFactory, inbox_folders, until, utc
from .fixtures import DISTRICT, STTTT, drop_folder, metadata


@pytest.mark.parametrize("rule", [
    {"kind": "5xx", "ops": ["sendEdoc"], "times": 2},
    {"kind": "429", "ops": ["sendEdoc"], "times": 1, "retry_after": 1},
    {"kind": "reset", "ops": ["sendEdoc"], "times": 2},
    {"kind": "malformed", "ops": ["sendEdoc"], "times": 1},
], ids=lambda r: r["kind"])
def test_transient_upload_failures_are_retried_with_the_same_bytes(
    make_node: NodeFactory, axis: Axis, rule: dict[str, object],
) -> None:
    """After transport errors, 5xx, 429 (Retry-After honoured) or a garbled answer, the upload
    is retried until accepted; every accepted copy has the sha256 of the kept package."""
    a = make_node("a")
    axis.faults(rule)
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.scan()
    until(lambda: list(a.folders(STTTT).sent.iterdir()), step=a.drain)
    [claim] = list(a.folders(STTTT).sent.iterdir())
    digest = hashlib.sha256((claim / "package.edxml").read_bytes()).hexdigest()
    accepted = axis.ledger("accepted")
    assert accepted and {e["sha256"] for e in accepted} == {digest}
    [item] = a.items(Kind.OUTBOUND)
    assert item.attempts >= 2 and item.state == "archived"


def test_a_lost_upload_answer_is_resent_and_delivered_once(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """The axis stores the package and drops the answer: A sends the same bytes again, the
    axis now holds two copies for B, and B delivers one and acknowledges both."""
    a, b = make_node("a"), make_node("b")
    axis.faults({"kind": "drop", "ops": ["sendEdoc"], "times": 1})
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.scan()
    until(lambda: list(a.folders(STTTT).sent.iterdir()), step=a.drain)
    assert len(axis.ledger("accepted")) == 2
    until(lambda: len(b.items(Kind.INBOUND, "acked", "duplicate-acked")) == 2, step=b.cycle)
    assert len(inbox_folders(b, DISTRICT)) == 1
    assert sorted(i.state for i in b.items(Kind.INBOUND)) == ["acked", "duplicate-acked"]
    acked = {e["doc_id"] for e in axis.ledger("acknowledged") if e["detail"] == "done"}
    assert len(acked) == 2


def test_a_lost_acknowledgement_is_repeated_and_nothing_is_delivered_twice(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """updateStatus is recorded by the axis but its answer is dropped: B retries the
    acknowledgement; the delivery is not repeated and the automatic 01 is sent once."""
    a, b = make_node("a"), make_node("b")
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.cycle()
    axis.faults({"kind": "drop", "ops": ["updateStatus"], "times": 1})
    until(lambda: b.items(Kind.INBOUND, "acked"), step=b.cycle)
    b.cycle()
    assert len(inbox_folders(b, DISTRICT)) == 1
    assert len(b.items(Kind.RECEIPT_OUT)) == 1


def test_the_axis_listing_an_acknowledged_item_again_is_acknowledged_again(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """The sandbox's 'duplicate' fault lists an acknowledged docId again: B acknowledges it
    again without delivering it again."""
    a, b = make_node("a"), make_node("b")
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.cycle()
    b.cycle()
    axis.faults({"kind": "duplicate", "ops": ["getReceivedEdocList"], "times": 1})
    b.cycle()
    b.cycle()
    assert axis.ledger("duplicated")
    assert len(inbox_folders(b, DISTRICT)) == 1
    done = [e for e in axis.ledger("acknowledged") if e["detail"] == "done"
            and e["message_type"] == "edoc"]
    assert len(done) == 2 and len({e["doc_id"] for e in done}) == 1


def test_the_same_package_sent_twice_is_delivered_once(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """The DMS drops the same document twice (same DocumentId): both are sent, B delivers the
    first copy only and acknowledges the second as a duplicate."""
    a, b = make_node("a"), make_node("b")
    for name in ("412", "412-again"):
        drop_folder(a.folders(STTTT).outbox, name, metadata(to=[DISTRICT]))
    a.cycle()
    until(lambda: len(b.items(Kind.INBOUND, "acked", "duplicate-acked")) == 2, step=b.cycle)
    assert len(inbox_folders(b, DISTRICT)) == 1
    assert len(b.items(Kind.RECEIPT_OUT)) == 1


def test_polling_failures_are_recorded_and_retried_at_the_next_poll(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """A failing getReceivedEdocList is recorded as a failed poll; the next poll succeeds."""
    a, b = make_node("a"), make_node("b")
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.cycle()
    axis.faults({"kind": "5xx", "ops": ["getReceivedEdocList"], "times": 1})
    assert b.services.poller.poll("edoc").ok is False
    failed = {p.name: p for p in b.journal.summary().polls}["edoc"]
    assert failed.last_error is not None
    assert b.services.poller.poll("edoc").ok is True
    b.drain()
    assert len(inbox_folders(b, DISTRICT)) == 1


def test_a_rejected_upload_goes_to_failed_with_the_axis_reason(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """The axis refuses the sender (the organ is not registered under A's system): no retry,
    the item moves to failed/ with error.json naming the refusal and how to fix it."""
    a = make_node("a", extra="""
        directory:
          require_known_recipients: false
        """)
    meta = metadata(to=[DISTRICT])
    drop_folder(a.folders(STTTT).outbox, "412", meta)
    axis.admin("POST", "/organs", json={"code": STTTT, "system": "02.44.W00"})
    a.scan()
    until(lambda: list(a.folders(STTTT).failed.iterdir()), step=a.drain)
    [claim] = list(a.folders(STTTT).failed.iterdir())
    error = json.loads((claim / "error.json").read_text())
    assert error["code"] == "axis.rejected" and "19" in error["message"]
    assert error["hint"]
    [item] = a.items(Kind.OUTBOUND)
    assert item.attempts == 1


def test_an_operator_requeue_restores_the_claim_and_sends_the_kept_bytes(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """Given up after its only attempt (max_attempts 1, one 5xx), the item is re-queued as
    `lienthong-agent retry` does: its claim comes back from failed/ (old error kept as
    error.previous.json), the same bytes are sent, and it ends in sent/."""
    a = make_node("a", extra="""
        retry:
          max_attempts: 1
        """)
    axis.faults({"kind": "5xx", "ops": ["sendEdoc"], "times": 1})
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.scan()
    a.drain()
    [failed] = list(a.folders(STTTT).failed.iterdir())
    kept = hashlib.sha256((failed / "package.edxml").read_bytes()).hexdigest()
    [item] = a.items(Kind.OUTBOUND)
    a.journal.requeue(Kind.OUTBOUND, item.id, utc())
    a.drain()
    assert list(a.folders(STTTT).failed.iterdir()) == []
    [sent] = list(a.folders(STTTT).sent.iterdir())
    assert (sent / "error.previous.json").is_file()
    assert [e["sha256"] for e in axis.ledger("accepted")] == [kept]
