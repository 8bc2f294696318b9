"""The state machines of the daemon, as data: outbound documents, inbound documents, outgoing and
incoming status receipts, and each recipient's progress on a sent document.

Rules (read these before changing a table):

- A state says what is **durably true**, never what is about to happen. A side effect (a file
  published, a request sent) happens *before* the transition that records it, so a crash between
  the two leaves the item in the earlier state and the step runs again.
- Therefore every step is **idempotent**: re-running it after a crash must not lose or duplicate
  anything. Files are published under deterministic names (a second publish finds the first);
  uploads re-send the *same kept bytes* with the same DocumentId (the receiver de-duplicates by
  DocumentId); acknowledgements and receipt sends are safe to repeat.
- Every state that is not settled has exactly one **next step** (``Machine.steps``). At start-up
  the daemon runs that step for every item it finds in such a state: there is no separate
  recovery code path, so "resumable" is the normal path.
- Settled states have no step. They stay put until an operator acts (``FAILED`` can be
  re-queued) or forever (``ARCHIVED``, ``ACKED``...).
- ``apply(state, event)`` returns the new state or raises :class:`IllegalTransitionError`; the
  journal calls it inside the transaction that stores the new state.
- Self-loops are deliberate: ``UPLOADING --upload-started--> UPLOADING`` is a new attempt after a
  crash mid-upload (the acknowledgement may have been lost: same bytes again).

Crash points of issue 4, and where each one leaves an item:

===============================================  =============================================
crash                                            resumed from
===============================================  =============================================
after pickup (claimed, before the journal row)   work area item without a row: re-registered
after signing, before the journal update         VALIDATED: built and signed again (not sent yet)
during upload                                    UPLOADING: the same bytes are sent again
after upload, before the journal update          UPLOADING: same bytes, same DocumentId again;
                                                 the receiver recognises the duplicate
after the archive move, before the journal       ACCEPTED: the archive step finds it done
after the inbox write, before the journal        VERIFIED: the deliver step finds the folder
after the inbox write, before the acknowledgement  DELIVERED: acknowledged again
===============================================  =============================================

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, Generic, TypeVar

from agent.errors import IllegalTransitionError


class Kind(StrEnum):
    """The four kinds of item the journal tracks."""

    OUTBOUND = "outbound"  # a document this agent sends
    INBOUND = "inbound"  # a document this agent receives
    RECEIPT_OUT = "receipt-out"  # a status receipt this agent sends (01-06, 15, 16)
    RECEIPT_IN = "receipt-in"  # a status receipt this agent receives


class Step(StrEnum):
    """The work the daemon does for an item in a state that is not settled."""

    VALIDATE = "validate"  # read the claimed item, check codes, fields and recipients
    SIGN = "sign"  # build the package, sign it, keep the bytes
    UPLOAD = "upload"  # sendEdoc with the kept bytes
    ARCHIVE_SENT = "archive-sent"  # move the claim to sent/
    ARCHIVE_FAILED = "archive-failed"  # move the claim to failed/ with its error file
    FETCH = "fetch"  # getEdoc, spool the bytes durably
    VERIFY = "verify"  # parse, check signatures, recognise duplicates
    DELIVER = "deliver"  # publish to inbox/ (or record on the earlier document)
    APPLY = "apply"  # record an incoming receipt on the document it answers
    ACK_DONE = "ack-done"  # updateStatus done
    ACK_FAIL = "ack-fail"  # write quarantine/ (idempotent), then updateStatus fail
    BUILD = "build"  # build the status package, keep the bytes
    SEND = "send"  # sendEdoc messagetype=status with the kept bytes


# --- outbound documents ---------------------------------------------------------------------------


class OutboundState(StrEnum):
    PICKED_UP = "picked-up"  # claimed into the work area; nothing checked yet
    VALIDATED = "validated"  # metadata, codes and recipients checked; DocumentId fixed
    SIGNED = "signed"  # package built and signed; the bytes are kept (path + SHA-256)
    UPLOADING = "uploading"  # an upload was started: the axis may or may not have it
    RETRY_WAIT = "retry-wait"  # an upload failed transiently; next attempt at due_at
    ACCEPTED = "accepted"  # the axis returned a DocId
    ARCHIVED = "archived"  # settled: the claim is in sent/
    FAILING = "failing"  # given up (reason stored); the claim still has to go to failed/
    FAILED = "failed"  # settled: the claim is in failed/ with its error file


class OutboundEvent(StrEnum):
    VALIDATION_PASSED = "validation-passed"
    PACKAGE_SIGNED = "package-signed"
    UPLOAD_STARTED = "upload-started"
    UPLOAD_FAILED = "upload-failed"  # transient: try again later
    AXIS_ACCEPTED = "axis-accepted"
    GIVEN_UP = "given-up"  # invalid item, axis refusal, or attempts / age exhausted
    ARCHIVED = "archived"
    REQUEUED = "requeued"  # operator: start again from validation (no bytes kept)
    REQUEUED_SIGNED = "requeued-signed"  # operator: send the kept bytes again


_O, _OE = OutboundState, OutboundEvent
OUTBOUND: Mapping[OutboundState, Mapping[OutboundEvent, OutboundState]] = {
    _O.PICKED_UP: {_OE.VALIDATION_PASSED: _O.VALIDATED, _OE.GIVEN_UP: _O.FAILING},
    _O.VALIDATED: {_OE.PACKAGE_SIGNED: _O.SIGNED, _OE.GIVEN_UP: _O.FAILING},
    _O.SIGNED: {_OE.UPLOAD_STARTED: _O.UPLOADING, _OE.GIVEN_UP: _O.FAILING},
    _O.UPLOADING: {
        _OE.UPLOAD_STARTED: _O.UPLOADING,
        _OE.AXIS_ACCEPTED: _O.ACCEPTED,
        _OE.UPLOAD_FAILED: _O.RETRY_WAIT,
        _OE.GIVEN_UP: _O.FAILING,
    },
    _O.RETRY_WAIT: {_OE.UPLOAD_STARTED: _O.UPLOADING, _OE.GIVEN_UP: _O.FAILING},
    _O.ACCEPTED: {_OE.ARCHIVED: _O.ARCHIVED},
    _O.FAILING: {_OE.ARCHIVED: _O.FAILED},
    _O.FAILED: {_OE.REQUEUED: _O.PICKED_UP, _OE.REQUEUED_SIGNED: _O.RETRY_WAIT},
    _O.ARCHIVED: {},
}
OUTBOUND_STEPS: Mapping[OutboundState, Step] = {
    _O.PICKED_UP: Step.VALIDATE,
    _O.VALIDATED: Step.SIGN,  # signed bytes may exist on disk without a row: overwritten
    _O.SIGNED: Step.UPLOAD,
    _O.UPLOADING: Step.UPLOAD,  # the lost acknowledgement: the same bytes again
    _O.RETRY_WAIT: Step.UPLOAD,
    _O.ACCEPTED: Step.ARCHIVE_SENT,
    _O.FAILING: Step.ARCHIVE_FAILED,
}


# --- inbound documents ----------------------------------------------------------------------------


class InboundState(StrEnum):
    LISTED = "listed"  # seen in getReceivedEdocList; axis docId known
    FETCHED = "fetched"  # package bytes spooled durably (path + SHA-256)
    VERIFIED = "verified"  # parsed, signatures checked, the first copy of its DocumentId
    DUPLICATE = "duplicate"  # a second copy of a DocumentId already taken: not delivered
    QUARANTINED = "quarantined"  # malformed or hostile (reason stored)
    DELIVERED = "delivered"  # inbox folder durable (and recorded on the earlier document)
    APPLIED = "applied"  # recall recorded on the earlier document (no folder of its own)
    ACKED = "acked"  # settled: updateStatus done
    DUPLICATE_ACKED = "duplicate-acked"  # settled: updateStatus done, nothing delivered
    REJECTED = "rejected"  # settled: in quarantine/, updateStatus fail


class InboundEvent(StrEnum):
    FETCHED = "fetched"
    VERIFIED = "verified"
    DUPLICATE_FOUND = "duplicate-found"
    QUARANTINED = "quarantined"
    DELIVERED = "delivered"
    APPLIED = "applied"
    ACK_DONE = "ack-done"
    ACK_FAIL = "ack-fail"


_I, _IE = InboundState, InboundEvent
INBOUND: Mapping[InboundState, Mapping[InboundEvent, InboundState]] = {
    _I.LISTED: {_IE.FETCHED: _I.FETCHED, _IE.QUARANTINED: _I.QUARANTINED},
    _I.FETCHED: {
        _IE.VERIFIED: _I.VERIFIED,
        _IE.DUPLICATE_FOUND: _I.DUPLICATE,
        _IE.QUARANTINED: _I.QUARANTINED,
    },
    _I.VERIFIED: {_IE.DELIVERED: _I.DELIVERED, _IE.APPLIED: _I.APPLIED},
    _I.DUPLICATE: {_IE.ACK_DONE: _I.DUPLICATE_ACKED},
    _I.QUARANTINED: {_IE.ACK_FAIL: _I.REJECTED},
    _I.DELIVERED: {_IE.ACK_DONE: _I.ACKED},
    _I.APPLIED: {_IE.ACK_DONE: _I.ACKED},
    _I.ACKED: {},
    _I.DUPLICATE_ACKED: {},
    _I.REJECTED: {},
}
INBOUND_STEPS: Mapping[InboundState, Step] = {
    _I.LISTED: Step.FETCH,
    _I.FETCHED: Step.VERIFY,  # verification is repeatable: same bytes, same verdict
    _I.VERIFIED: Step.DELIVER,  # the folder may exist already: found, not written twice
    _I.DUPLICATE: Step.ACK_DONE,
    _I.QUARANTINED: Step.ACK_FAIL,
    _I.DELIVERED: Step.ACK_DONE,  # only a durable delivery is ever acknowledged done
    _I.APPLIED: Step.ACK_DONE,
}


# --- status receipts this agent sends -------------------------------------------------------------


class ReceiptOutState(StrEnum):
    QUEUED = "queued"  # automatic 01, or a status-out item from the document system
    BUILT = "built"  # status package built; the bytes are kept
    SENDING = "sending"  # a send was started
    RETRY_WAIT = "retry-wait"
    SENT = "sent"  # settled: the axis returned a DocId
    FAILED = "failed"  # settled: given up (reason stored)


class ReceiptOutEvent(StrEnum):
    BUILT = "built"
    SEND_STARTED = "send-started"
    SEND_FAILED = "send-failed"
    AXIS_ACCEPTED = "axis-accepted"
    GIVEN_UP = "given-up"
    REQUEUED = "requeued"
    REQUEUED_BUILT = "requeued-built"


_R, _RE = ReceiptOutState, ReceiptOutEvent
RECEIPT_OUT: Mapping[ReceiptOutState, Mapping[ReceiptOutEvent, ReceiptOutState]] = {
    _R.QUEUED: {_RE.BUILT: _R.BUILT, _RE.GIVEN_UP: _R.FAILED},
    _R.BUILT: {_RE.SEND_STARTED: _R.SENDING, _RE.GIVEN_UP: _R.FAILED},
    _R.SENDING: {
        _RE.SEND_STARTED: _R.SENDING,
        _RE.AXIS_ACCEPTED: _R.SENT,
        _RE.SEND_FAILED: _R.RETRY_WAIT,
        _RE.GIVEN_UP: _R.FAILED,
    },
    _R.RETRY_WAIT: {_RE.SEND_STARTED: _R.SENDING, _RE.GIVEN_UP: _R.FAILED},
    _R.SENT: {},
    _R.FAILED: {_RE.REQUEUED: _R.QUEUED, _RE.REQUEUED_BUILT: _R.RETRY_WAIT},
}
RECEIPT_OUT_STEPS: Mapping[ReceiptOutState, Step] = {
    _R.QUEUED: Step.BUILD,
    _R.BUILT: Step.SEND,
    _R.SENDING: Step.SEND,  # same bytes again
    _R.RETRY_WAIT: Step.SEND,
}


# --- status receipts this agent receives ----------------------------------------------------------


class ReceiptInState(StrEnum):
    LISTED = "listed"
    FETCHED = "fetched"  # spooled durably
    APPLIED = "applied"  # on the timeline of the document it answers
    UNMATCHED = "unmatched"  # answers no document this agent knows; kept for the operator
    MALFORMED = "malformed"  # not a readable status package (reason stored)
    ACKED = "acked"  # settled: updateStatus done
    REJECTED = "rejected"  # settled: updateStatus fail


class ReceiptInEvent(StrEnum):
    FETCHED = "fetched"
    APPLIED = "applied"
    UNMATCHED = "unmatched"
    MALFORMED = "malformed"
    ACK_DONE = "ack-done"
    ACK_FAIL = "ack-fail"


_S, _SE = ReceiptInState, ReceiptInEvent
RECEIPT_IN: Mapping[ReceiptInState, Mapping[ReceiptInEvent, ReceiptInState]] = {
    _S.LISTED: {_SE.FETCHED: _S.FETCHED, _SE.MALFORMED: _S.MALFORMED},
    _S.FETCHED: {
        _SE.APPLIED: _S.APPLIED,
        _SE.UNMATCHED: _S.UNMATCHED,
        _SE.MALFORMED: _S.MALFORMED,
    },
    _S.APPLIED: {_SE.ACK_DONE: _S.ACKED},
    _S.UNMATCHED: {_SE.ACK_DONE: _S.ACKED},
    _S.MALFORMED: {_SE.ACK_FAIL: _S.REJECTED},
    _S.ACKED: {},
    _S.REJECTED: {},
}
RECEIPT_IN_STEPS: Mapping[ReceiptInState, Step] = {
    _S.LISTED: Step.FETCH,
    _S.FETCHED: Step.APPLY,
    _S.APPLIED: Step.ACK_DONE,  # the timeline file is rewritten first (idempotent)
    _S.UNMATCHED: Step.ACK_DONE,
    _S.MALFORMED: Step.ACK_FAIL,
}


# --- the machine ----------------------------------------------------------------------------------

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Machine(Generic[S, E]):
    """One state machine: its transition table and the next step of each unsettled state."""

    name: str
    initial: S
    transitions: Mapping[S, Mapping[E, S]]
    steps: Mapping[S, Step]

    @cached_property
    def settled(self) -> frozenset[S]:
        """States with no automatic next step."""
        return frozenset(s for s in self.transitions if s not in self.steps)

    def apply(self, state: S, event: E) -> S:
        """The state after ``event``; :class:`IllegalTransitionError` if the table forbids it."""
        try:
            return self.transitions[state][event]
        except KeyError:
            raise IllegalTransitionError(
                f"{self.name}: {event.value!r} is not allowed in state {state.value!r}",
                hint="a bug or a concurrent change; the item keeps its state",
            ) from None


OUTBOUND_MACHINE = Machine("outbound", _O.PICKED_UP, OUTBOUND, OUTBOUND_STEPS)
INBOUND_MACHINE = Machine("inbound", _I.LISTED, INBOUND, INBOUND_STEPS)
RECEIPT_OUT_MACHINE = Machine("receipt-out", _R.QUEUED, RECEIPT_OUT, RECEIPT_OUT_STEPS)
RECEIPT_IN_MACHINE = Machine("receipt-in", _S.LISTED, RECEIPT_IN, RECEIPT_IN_STEPS)

MACHINES: Mapping[Kind, Machine[Any, Any]] = {
    Kind.OUTBOUND: OUTBOUND_MACHINE,
    Kind.INBOUND: INBOUND_MACHINE,
    Kind.RECEIPT_OUT: RECEIPT_OUT_MACHINE,
    Kind.RECEIPT_IN: RECEIPT_IN_MACHINE,
}
_BY_STATE_TYPE: Mapping[type, Machine[Any, Any]] = {
    type(m.initial): m for m in MACHINES.values()
}


def apply(state: S, event: StrEnum) -> S:
    """The state after ``event`` in the machine ``state`` belongs to."""
    machine = _BY_STATE_TYPE.get(type(state))
    if machine is None:
        raise IllegalTransitionError(f"{state!r} belongs to no state machine")
    result: S = machine.apply(state, event)
    return result


def next_step(state: StrEnum) -> Step | None:
    """What the daemon does next (and at start-up) for an item in ``state``; None if settled."""
    machine = _BY_STATE_TYPE.get(type(state))
    if machine is None:
        raise IllegalTransitionError(f"{state!r} belongs to no state machine")
    step: Step | None = machine.steps.get(state)
    return step


#: The events each step may end with (its outcomes). The step's own transient failures keep the
#: state (the journal postpones the item) unless an event is listed for them here.
STEP_EVENTS: Mapping[Step, frozenset[StrEnum]] = {
    Step.VALIDATE: frozenset({_OE.VALIDATION_PASSED, _OE.GIVEN_UP}),
    Step.SIGN: frozenset({_OE.PACKAGE_SIGNED, _OE.GIVEN_UP}),
    Step.UPLOAD: frozenset(
        {_OE.UPLOAD_STARTED, _OE.AXIS_ACCEPTED, _OE.UPLOAD_FAILED, _OE.GIVEN_UP}
    ),
    Step.ARCHIVE_SENT: frozenset({_OE.ARCHIVED}),
    Step.ARCHIVE_FAILED: frozenset({_OE.ARCHIVED}),
    Step.FETCH: frozenset({_IE.FETCHED, _IE.QUARANTINED, _SE.FETCHED, _SE.MALFORMED}),
    Step.VERIFY: frozenset({_IE.VERIFIED, _IE.DUPLICATE_FOUND, _IE.QUARANTINED}),
    Step.DELIVER: frozenset({_IE.DELIVERED, _IE.APPLIED}),
    Step.APPLY: frozenset({_SE.APPLIED, _SE.UNMATCHED, _SE.MALFORMED}),
    Step.ACK_DONE: frozenset({_IE.ACK_DONE, _SE.ACK_DONE}),
    Step.ACK_FAIL: frozenset({_IE.ACK_FAIL, _SE.ACK_FAIL}),
    Step.BUILD: frozenset({_RE.BUILT, _RE.GIVEN_UP}),
    Step.SEND: frozenset(
        {_RE.SEND_STARTED, _RE.AXIS_ACCEPTED, _RE.SEND_FAILED, _RE.GIVEN_UP}
    ),
}


# --- each recipient of a sent document ------------------------------------------------------------
#
# Two separate tracks per recipient. Delivery is what the axis says (getSentEdocList) plus what a
# receipt proves; it is a machine like the others. Business progress (01-06) and change answers
# (13, 15, 16) come from the recipient's receipts, which may arrive late, twice or out of order:
# they never raise, they only move forward, and every receipt is kept on the timeline anyway.


class DeliveryState(StrEnum):
    PENDING = "pending"  # the document is not accepted by the axis yet
    SENT = "sent"  # the axis queued it for this recipient
    DELIVERED = "delivered"  # the recipient fetched it (axis done, or any receipt from it)
    UNDELIVERABLE = "undeliverable"  # the axis reports fail for this recipient


class DeliveryEvent(StrEnum):
    DOCUMENT_ACCEPTED = "document-accepted"
    AXIS_DELIVERED = "axis-delivered"
    AXIS_FAILED = "axis-failed"
    RECEIPT_RECEIVED = "receipt-received"


_D, _DE = DeliveryState, DeliveryEvent
DELIVERY: Mapping[DeliveryState, Mapping[DeliveryEvent, DeliveryState]] = {
    _D.PENDING: {_DE.DOCUMENT_ACCEPTED: _D.SENT, _DE.RECEIPT_RECEIVED: _D.DELIVERED},
    _D.SENT: {
        _DE.DOCUMENT_ACCEPTED: _D.SENT,
        _DE.AXIS_DELIVERED: _D.DELIVERED,
        _DE.AXIS_FAILED: _D.UNDELIVERABLE,
        _DE.RECEIPT_RECEIVED: _D.DELIVERED,
    },
    _D.DELIVERED: {  # a fact that stays true: later reports about a re-sent copy change nothing
        _DE.DOCUMENT_ACCEPTED: _D.DELIVERED,
        _DE.AXIS_DELIVERED: _D.DELIVERED,
        _DE.AXIS_FAILED: _D.DELIVERED,
        _DE.RECEIPT_RECEIVED: _D.DELIVERED,
    },
    _D.UNDELIVERABLE: {
        _DE.DOCUMENT_ACCEPTED: _D.UNDELIVERABLE,
        _DE.AXIS_DELIVERED: _D.DELIVERED,
        _DE.AXIS_FAILED: _D.UNDELIVERABLE,
        _DE.RECEIPT_RECEIVED: _D.DELIVERED,
    },
}
DELIVERY_MACHINE: Machine[DeliveryState, DeliveryEvent] = Machine(
    "delivery", _D.PENDING, DELIVERY, {}
)

#: Business progress codes (AXIS.md §4.2) by rank. 02 (refused) and 03 (registered) are the two
#: exclusive outcomes after 01; whichever comes first stays. Other codes do not move progress.
PROGRESS_RANK: Mapping[str, int] = {"01": 1, "02": 2, "03": 2, "04": 3, "05": 4, "06": 5}


class ChangeState(StrEnum):
    """A recall, update, replacement or take-back (13) and the recipient's answer (15 / 16)."""

    NONE = "none"
    REQUESTED = "requested"
    AGREED = "agreed"
    REFUSED = "refused"


CHANGE_REQUESTED = "13"  # also used for a recall / update / replace document sent
CHANGE: Mapping[ChangeState, Mapping[str, ChangeState]] = {
    ChangeState.NONE: {
        CHANGE_REQUESTED: ChangeState.REQUESTED,
        "15": ChangeState.AGREED,
        "16": ChangeState.REFUSED,
    },
    ChangeState.REQUESTED: {"15": ChangeState.AGREED, "16": ChangeState.REFUSED},
    ChangeState.AGREED: {CHANGE_REQUESTED: ChangeState.REQUESTED},
    ChangeState.REFUSED: {CHANGE_REQUESTED: ChangeState.REQUESTED},
}


def advance_progress(current: str | None, code: str) -> str | None:
    """The recipient's progress after a receipt with ``code``: the higher rank wins."""
    rank = PROGRESS_RANK.get(code)
    if rank is None:
        return current
    if current is not None and PROGRESS_RANK.get(current, 0) >= rank:
        return current
    return code


def advance_change(current: ChangeState, code: str) -> ChangeState:
    """The change-request track after a receipt (or a change request sent) with ``code``."""
    return CHANGE[current].get(code, current)
