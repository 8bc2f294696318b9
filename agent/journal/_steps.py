"""The steps several kinds of item share: listing, fetching, packaging, sending, failing,
acknowledging, postponing and re-queueing. Each maps the generic step to its kind's event."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping, Sequence
from enum import StrEnum

from agent.core.lifecycle import (
    MACHINES,
    DeliveryEvent,
    InboundEvent,
    Kind,
    OutboundEvent,
    ReceiptInEvent,
    ReceiptOutEvent,
    Step,
)
from agent.errors import IllegalTransitionError, JournalError
from agent.journal._db import dumps, ts
from agent.journal._receipts import ReceiptOps
from agent.journal.records import ErrorInfo, ListedItem, ReceiptRequest
from agent.journal.schema import TABLES

_OUT, _IN, _RO, _RI = Kind.OUTBOUND, Kind.INBOUND, Kind.RECEIPT_OUT, Kind.RECEIPT_IN

_FETCHED = {_IN: InboundEvent.FETCHED, _RI: ReceiptInEvent.FETCHED}
_PACKAGED = {_OUT: OutboundEvent.PACKAGE_SIGNED, _RO: ReceiptOutEvent.BUILT}
_STARTED = {_OUT: OutboundEvent.UPLOAD_STARTED, _RO: ReceiptOutEvent.SEND_STARTED}
_ATTEMPT_FAILED = {_OUT: OutboundEvent.UPLOAD_FAILED, _RO: ReceiptOutEvent.SEND_FAILED}
_SENT = {_OUT: OutboundEvent.AXIS_ACCEPTED, _RO: ReceiptOutEvent.AXIS_ACCEPTED}
_FAILURE = {
    _OUT: OutboundEvent.GIVEN_UP, _IN: InboundEvent.QUARANTINED,
    _RO: ReceiptOutEvent.GIVEN_UP, _RI: ReceiptInEvent.MALFORMED,
}
_ACK = {
    (_IN, Step.ACK_DONE): InboundEvent.ACK_DONE, (_IN, Step.ACK_FAIL): InboundEvent.ACK_FAIL,
    (_RI, Step.ACK_DONE): ReceiptInEvent.ACK_DONE, (_RI, Step.ACK_FAIL): ReceiptInEvent.ACK_FAIL,
}
# Operator re-queue: with kept bytes straight back to sending, else from the start.
_REQUEUE = {
    _OUT: (OutboundEvent.REQUEUED_SIGNED, OutboundEvent.REQUEUED),
    _RO: (ReceiptOutEvent.REQUEUED_BUILT, ReceiptOutEvent.REQUEUED),
}


def _event(events: Mapping[Kind, StrEnum], kind: Kind, what: str) -> StrEnum:
    try:
        return events[kind]
    except KeyError:
        raise JournalError(f"{what} does not apply to {kind.value} items") from None


class StepOps(ReceiptOps):
    def record_listed(
        self, kind: Kind, organ_id: str, axis_doc_id: str, now: dt.datetime
    ) -> ListedItem:
        """LISTED for an axis docId seen for the first time; the known item otherwise (an item
        the axis lists again after we settled it was not acknowledged: acknowledge it again)."""
        _event(_FETCHED, kind, "listing")
        table, t = TABLES[kind], ts(now)
        initial = MACHINES[kind].initial
        with self._write(f"recording a listed {kind.value} item") as conn:
            cur = conn.execute(
                f"INSERT INTO {table} (organ_id, axis_doc_id, state, due_at, created_at,"  # noqa: S608
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (axis_doc_id) DO NOTHING",
                (organ_id, axis_doc_id, initial.value, t, t, t),
            )
            created = bool(cur.rowcount)
            row = conn.execute(
                f"SELECT id, state FROM {table} WHERE axis_doc_id = ?", (axis_doc_id,)  # noqa: S608
            ).fetchone()
            if created:
                self._log(conn, kind, row[0], t, "listed", state=initial.value,
                          detail={"axis_doc_id": axis_doc_id})
        state = type(initial)(row[1])
        return ListedItem(kind=kind, id=row[0], state=state, created=created)

    def record_fetched(
        self, kind: Kind, item_id: int, spool_path: str, sha256: str, now: dt.datetime
    ) -> str:
        """FETCHED: the package bytes are spooled durably at ``spool_path``."""
        with self._write("recording a fetched package") as conn:
            return self._transition(conn, kind, item_id, _event(_FETCHED, kind, "fetching"),
                                    ts(now), sets={"spool_path": spool_path,
                                                   "package_sha256": sha256}).value

    def record_package(
        self, kind: Kind, item_id: int, path: str, sha256: str, now: dt.datetime
    ) -> str:
        """SIGNED / BUILT: the bytes to send are kept at ``path``; every retry sends them."""
        with self._write("recording a built package") as conn:
            return self._transition(conn, kind, item_id, _event(_PACKAGED, kind, "packaging"),
                                    ts(now), sets={"package_path": path,
                                                   "package_sha256": sha256}).value

    def start_attempt(self, kind: Kind, item_id: int, now: dt.datetime) -> str:
        """UPLOADING / SENDING, recorded *before* the request: after a crash the item is known
        to be possibly sent, and is sent again with the same bytes."""
        with self._write("recording an upload attempt") as conn:
            event = _event(_STARTED, kind, "sending")
            return self._transition(conn, kind, item_id, event, ts(now), attempt=True).value

    def record_attempt_failed(
        self, kind: Kind, item_id: int, error: ErrorInfo, retry_at: dt.datetime,
        now: dt.datetime,
    ) -> str:
        """RETRY_WAIT until ``retry_at`` (backoff and Retry-After are the caller's rule)."""
        with self._write("recording a failed attempt") as conn:
            event = _event(_ATTEMPT_FAILED, kind, "retrying")
            return self._transition(conn, kind, item_id, event, ts(now), retry_at=ts(retry_at),
                                    error=error).value

    def record_sent(self, kind: Kind, item_id: int, axis_doc_id: str, now: dt.datetime) -> str:
        """ACCEPTED / SENT with the axis DocId; an outbound document's recipients become SENT."""
        t = ts(now)
        with self._write("recording a sent package") as conn:
            state = self._transition(conn, kind, item_id, _event(_SENT, kind, "sending"), t,
                                     sets={"axis_doc_id": axis_doc_id})
            if kind is _OUT:
                self._accepted_by_axis(conn, item_id, t)
            else:
                self._receipt_sent(conn, item_id, t)
            return state.value

    def _accepted_by_axis(self, conn: sqlite3.Connection, item_id: int, now: float) -> None:
        for (organ,) in conn.execute(
            "SELECT organ_id FROM recipient WHERE outbound_id = ?", (item_id,)
        ).fetchall():
            self._deliver(conn, item_id, organ, DeliveryEvent.DOCUMENT_ACCEPTED, now)

    def _receipt_sent(self, conn: sqlite3.Connection, item_id: int, now: float) -> None:
        receipt = self._receipt_out(conn, item_id)
        if receipt.inbound_id is not None:
            self._log(conn, _IN, receipt.inbound_id, now, "receipt-sent",
                      code=receipt.status_code, detail={"receipt": item_id})

    def record_failure(
        self, kind: Kind, item_id: int, error: ErrorInfo, now: dt.datetime
    ) -> str:
        """Given up (outbound, receipt-out), quarantined (inbound) or malformed (receipt-in),
        with the reason that goes into the error file."""
        with self._write("recording a failure") as conn:
            event = _event(_FAILURE, kind, "failing")
            return self._transition(conn, kind, item_id, event, ts(now), error=error).value

    def record_acknowledged(
        self, kind: Kind, item_id: int, now: dt.datetime,
        receipts: Sequence[ReceiptRequest] = (),
    ) -> str:
        """The acknowledgement the item's state calls for (done, or fail for quarantined and
        malformed items) went through. ``receipts`` (the automatic 01) are queued atomically."""
        t = ts(now)
        with self._write("recording an acknowledgement") as conn:
            step = MACHINES[kind].steps.get(self._state(conn, kind, item_id))
            event = _ACK.get((kind, step)) if step else None
            if event is None:
                raise IllegalTransitionError(
                    f"{kind.value} item {item_id} is not waiting for an acknowledgement")
            state = self._transition(conn, kind, item_id, event, t)
            for request in receipts:
                self._queue(conn, request, t)
            return state.value

    def postpone(
        self, kind: Kind, item_id: int, error: ErrorInfo | None, due_at: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Keep the state, try the same step again at ``due_at`` (a transient failure)."""
        t = ts(now)
        with self._write("postponing an item") as conn:
            if self._state(conn, kind, item_id) in MACHINES[kind].settled:
                raise IllegalTransitionError(f"{kind.value} item {item_id} is settled")
            conn.execute(
                f"UPDATE {TABLES[kind]} SET due_at = ?, lease = NULL, attempts = attempts + 1,"  # noqa: S608
                " last_error = ?, updated_at = ? WHERE id = ?",
                (ts(due_at), dumps(error), t, item_id),
            )
            self._log(conn, kind, item_id, t, "postponed",
                      detail={"until": due_at.isoformat(), "error": dict(error or {})})

    def release(self, kind: Kind, item_id: int) -> None:
        """Give a claimed item back without a change (it stays due)."""
        with self._write("releasing an item") as conn:
            conn.execute(f"UPDATE {TABLES[kind]} SET lease = NULL WHERE id = ?",  # noqa: S608
                         (item_id,))

    def requeue(self, kind: Kind, item_id: int, now: dt.datetime) -> str:
        """Operator ``retry``: a failed item starts again with fresh attempts (kept bytes are
        sent again as they are; otherwise it starts from validation / building)."""
        signed, fresh = _REQUEUE.get(kind, (None, None))
        if signed is None or fresh is None:
            raise IllegalTransitionError(f"{kind.value} items cannot be re-queued")
        with self._write("re-queueing an item") as conn:
            row = conn.execute(
                f"SELECT package_sha256 FROM {TABLES[kind]} WHERE id = ?", (item_id,)  # noqa: S608
            ).fetchone()
            event = signed if row is not None and row[0] else fresh
            return self._transition(conn, kind, item_id, event, ts(now),
                                    sets={"attempts": 0}).value
