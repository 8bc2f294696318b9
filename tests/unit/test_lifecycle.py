"""The state machines of agent.core.lifecycle, enumerated exhaustively.

Each table is compared with a golden listing written out here, so changing a transition means
changing this file on purpose; then structural properties are checked on every machine: every state
reachable, every unsettled state has a step that can make progress, no step but the operator's
leaves a settled state, and the crash rules of issue 4 (bytes built once, nothing acknowledged
"done" before its delivery is durable).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import pytest

from agent.core import lifecycle as lc
from agent.errors import IllegalTransitionError, JournalError

GOLDEN = {
    "outbound": """
        picked-up  --validation-passed-->  validated
        picked-up  --given-up-->           failing
        validated  --package-signed-->     signed
        validated  --given-up-->           failing
        signed     --upload-started-->     uploading
        signed     --given-up-->           failing
        uploading  --upload-started-->     uploading
        uploading  --axis-accepted-->      accepted
        uploading  --upload-failed-->      retry-wait
        uploading  --given-up-->           failing
        retry-wait --upload-started-->     uploading
        retry-wait --given-up-->           failing
        accepted   --archived-->           archived
        failing    --archived-->           failed
        failed     --requeued-->           picked-up
        failed     --requeued-signed-->    retry-wait
    """,
    "inbound": """
        listed      --fetched-->          fetched
        listed      --quarantined-->      quarantined
        fetched     --verified-->         verified
        fetched     --duplicate-found-->  duplicate
        fetched     --quarantined-->      quarantined
        verified    --delivered-->        delivered
        verified    --applied-->          applied
        duplicate   --ack-done-->         duplicate-acked
        quarantined --ack-fail-->         rejected
        delivered   --ack-done-->         acked
        applied     --ack-done-->         acked
    """,
    "receipt-out": """
        queued     --built-->           built
        queued     --given-up-->        failed
        built      --send-started-->    sending
        built      --given-up-->        failed
        sending    --send-started-->    sending
        sending    --axis-accepted-->   sent
        sending    --send-failed-->     retry-wait
        sending    --given-up-->        failed
        retry-wait --send-started-->    sending
        retry-wait --given-up-->        failed
        failed     --requeued-->        queued
        failed     --requeued-built-->  retry-wait
    """,
    "receipt-in": """
        listed    --fetched-->    fetched
        listed    --malformed-->  malformed
        fetched   --applied-->    applied
        fetched   --unmatched-->  unmatched
        fetched   --malformed-->  malformed
        applied   --ack-done-->   acked
        unmatched --ack-done-->   acked
        malformed --ack-fail-->   rejected
    """,
}
SETTLED = {
    "outbound": {"archived", "failed"},
    "inbound": {"acked", "duplicate-acked", "rejected"},
    "receipt-out": {"sent", "failed"},
    "receipt-in": {"acked", "rejected"},
}
# Events only an operator triggers (`lienthong-agent retry`); no step emits them.
OPERATOR_EVENTS = {"requeued", "requeued-signed", "requeued-built"}

MACHINES = list(lc.MACHINES.values())


def _parse(golden: str) -> set[tuple[str, str, str]]:
    rows = set()
    for line in golden.strip().splitlines():
        state, rest = line.split("--", 1)
        event, target = rest.split("-->")
        rows.add((state.strip(), event.strip("- "), target.strip()))
    return rows


def _listing(machine: lc.Machine[Any, Any]) -> set[tuple[str, str, str]]:
    return {
        (s.value, e.value, t.value)
        for s, events in machine.transitions.items()
        for e, t in events.items()
    }


def _reachable(table: Mapping[Any, Mapping[Any, Any]], start: Any, skip: set[str]) -> set[Any]:
    seen, todo = {start}, [start]
    while todo:
        for event, target in table[todo.pop()].items():
            if event.value not in skip and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _event_type(machine: lc.Machine[Any, Any]) -> type[StrEnum]:
    for events in machine.transitions.values():
        for event in events:
            return type(event)
    raise AssertionError("machine without events")


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_table_matches_the_golden_listing(machine: lc.Machine[Any, Any]) -> None:
    """Each transition table is exactly the listing above: no transition added or lost."""
    assert _listing(machine) == _parse(GOLDEN[machine.name])


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_apply_follows_the_table_for_every_state_and_event(machine: lc.Machine[Any, Any]) -> None:
    """For every (state, event) pair, apply() returns the table's target or raises."""
    states = list(type(machine.initial))
    events = list(_event_type(machine))
    assert set(machine.transitions) == set(states)
    for state, event in itertools.product(states, events):
        expected = machine.transitions[state].get(event)
        if expected is None:
            with pytest.raises(IllegalTransitionError):
                lc.apply(state, event)
        else:
            assert lc.apply(state, event) is expected


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_settled_states_are_those_without_a_step(machine: lc.Machine[Any, Any]) -> None:
    """The settled states are the listed ones; every other state has a next step."""
    assert {s.value for s in machine.settled} == SETTLED[machine.name]
    for state in type(machine.initial):
        assert (lc.next_step(state) is None) == (state.value in SETTLED[machine.name])


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_every_state_is_reachable_and_can_settle(machine: lc.Machine[Any, Any]) -> None:
    """From the initial state every state is reachable; from every state a settled one is."""
    assert _reachable(machine.transitions, machine.initial, set()) == set(machine.transitions)
    for state in machine.transitions:
        reach = _reachable(machine.transitions, state, OPERATOR_EVENTS)
        assert reach & machine.settled, state


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_each_step_can_progress_and_is_the_only_actor(machine: lc.Machine[Any, Any]) -> None:
    """In an unsettled state the step has a legal outcome, and every legal non-operator event
    there is an outcome of that step (a resumed item can always be moved on by its step)."""
    for state, step in machine.steps.items():
        legal = {e for e in machine.transitions[state] if e.value not in OPERATOR_EVENTS}
        assert legal, state
        assert legal <= lc.STEP_EVENTS[step], (state, legal - lc.STEP_EVENTS[step])


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_settled_states_are_left_only_by_an_operator(machine: lc.Machine[Any, Any]) -> None:
    """No automatic event leaves a settled state: a finished item is never processed again."""
    for state in machine.settled:
        assert {e.value for e in machine.transitions[state]} <= OPERATOR_EVENTS


def test_signed_bytes_are_built_once() -> None:
    """Once signed, no automatic path leads back to signing: every retry sends the same bytes."""
    after_signing = _reachable(lc.OUTBOUND, lc.OutboundState.SIGNED, OPERATOR_EVENTS)
    assert lc.OutboundState.SIGNED in after_signing
    assert all(lc.OUTBOUND_STEPS.get(s) is not lc.Step.SIGN for s in after_signing)
    assert lc.next_step(lc.OutboundState.UPLOADING) is lc.Step.UPLOAD


def test_operator_requeue_of_signed_bytes_goes_straight_to_upload() -> None:
    """`retry` of a failed document with kept bytes resumes at the upload, not at signing."""
    state = lc.apply(lc.OutboundState.FAILED, lc.OutboundEvent.REQUEUED_SIGNED)
    assert state is lc.OutboundState.RETRY_WAIT and lc.next_step(state) is lc.Step.UPLOAD


def test_nothing_is_acknowledged_done_before_a_durable_delivery() -> None:
    """ack-done is legal only after delivery, application or duplicate recognition."""
    allowed = {s for s, ev in lc.INBOUND.items() if lc.InboundEvent.ACK_DONE in ev}
    assert allowed == {
        lc.InboundState.DELIVERED, lc.InboundState.APPLIED, lc.InboundState.DUPLICATE
    }


def test_a_quarantined_document_is_never_delivered() -> None:
    """From quarantine the only way out is an acknowledgement as failed."""
    reach = _reachable(lc.INBOUND, lc.InboundState.QUARANTINED, set())
    assert reach == {lc.InboundState.QUARANTINED, lc.InboundState.REJECTED}


def test_apply_refuses_an_event_of_another_machine() -> None:
    """An inbound event applied to an outbound state is illegal (a JournalError)."""
    with pytest.raises(JournalError, match="not allowed"):
        lc.apply(lc.OutboundState.PICKED_UP, lc.InboundEvent.FETCHED)


def test_apply_refuses_a_state_of_no_machine() -> None:
    """A state enum that belongs to no machine is refused, not silently accepted."""

    class Other(StrEnum):
        X = "x"

    with pytest.raises(IllegalTransitionError):
        lc.apply(Other.X, lc.OutboundEvent.ARCHIVED)
    with pytest.raises(IllegalTransitionError):
        lc.next_step(Other.X)


def test_illegal_transition_message_names_state_and_event() -> None:
    """The error says which machine, which event and which state, for the operator's log."""
    with pytest.raises(IllegalTransitionError) as info:
        lc.apply(lc.InboundState.ACKED, lc.InboundEvent.DELIVERED)
    assert info.value.message == "inbound: 'delivered' is not allowed in state 'acked'"


def test_delivery_table_is_complete_and_only_moves_forward() -> None:
    """Every delivery event is handled in every state but PENDING's axis reports, and DELIVERED
    is never left (a later report about a re-sent copy does not undo a delivery)."""
    D, E = lc.DeliveryState, lc.DeliveryEvent
    for state, event in itertools.product(D, E):
        legal = event in lc.DELIVERY[state]
        assert legal == (state is not D.PENDING or event in {E.DOCUMENT_ACCEPTED,
                                                             E.RECEIPT_RECEIVED})
    assert set(lc.DELIVERY[D.DELIVERED].values()) == {D.DELIVERED}
    for state in D:
        if E.RECEIPT_RECEIVED in lc.DELIVERY[state]:
            assert lc.DELIVERY_MACHINE.apply(state, E.RECEIPT_RECEIVED) is D.DELIVERED


CODES = [None, "01", "02", "03", "04", "05", "06", "13", "15", "16", "99"]


@pytest.mark.parametrize(("current", "code"), list(itertools.product(CODES, CODES[1:])))
def test_progress_never_moves_backwards(current: str | None, code: str) -> None:
    """Receipts in any order: progress keeps the higher rank; unknown codes change nothing."""
    result = lc.advance_progress(current, code)
    rank = lc.PROGRESS_RANK
    if code not in rank:
        assert result == current
    elif current is None or rank.get(current, 0) < rank[code]:
        assert result == code
    else:
        assert result == current


def test_progress_keeps_the_first_of_refused_and_registered() -> None:
    """02 and 03 are exclusive outcomes: whichever arrived first stays, later steps move on."""
    assert lc.advance_progress("03", "02") == "03"
    assert lc.advance_progress("02", "03") == "02"
    assert lc.advance_progress("03", "06") == "06"
    assert lc.advance_progress("06", "01") == "06"


@pytest.mark.parametrize(("state", "code"), list(itertools.product(lc.ChangeState, CODES[1:])))
def test_change_track_follows_its_table(state: lc.ChangeState, code: str) -> None:
    """13 opens a change request, 15/16 answer it; other codes and repeats change nothing."""
    expected = {
        ("none", "13"): "requested", ("none", "15"): "agreed", ("none", "16"): "refused",
        ("requested", "15"): "agreed", ("requested", "16"): "refused",
        ("agreed", "13"): "requested", ("refused", "13"): "requested",
    }.get((state.value, code), state.value)
    assert lc.advance_change(state, code).value == expected
