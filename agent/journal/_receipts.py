"""Status receipts: the ones this agent sends and the ones it receives and applies."""

from __future__ import annotations

import datetime as dt
import sqlite3

from agent.core.lifecycle import (
    CHANGE_REQUESTED,
    DeliveryEvent,
    DeliveryState,
    Kind,
    ReceiptInEvent,
    ReceiptInState,
    ReceiptOutState,
    advance_progress,
)
from agent.errors import JournalError
from agent.journal._db import Database, at, dumps, from_ts, loads, ts
from agent.journal._inbound import delivery_key
from agent.journal._outbound import OutboundOps
from agent.journal.records import (
    ReceiptInRecord,
    ReceiptOutRecord,
    ReceiptRequest,
    StatusFacts,
)

_RO, _RI = Kind.RECEIPT_OUT, Kind.RECEIPT_IN


def receipt_out_record(row: sqlite3.Row) -> ReceiptOutRecord:
    return ReceiptOutRecord(
        id=row["id"], organ_id=row["organ_id"], to_organ=row["to_organ"],
        document_id=row["document_id"], doc_code=row["doc_code"],
        status_code=row["status_code"], description=row["description"],
        staff=loads(row["staff"]), status_time=at(row["status_time"]),
        inbound_id=row["inbound_id"], source_key=row["source_key"],
        state=ReceiptOutState(row["state"]), package_path=row["package_path"],
        package_sha256=row["package_sha256"], axis_doc_id=row["axis_doc_id"],
        attempts=row["attempts"], due_at=from_ts(row["due_at"]),
        last_error=loads(row["last_error"]), created_at=at(row["created_at"]),
        updated_at=at(row["updated_at"]),
    )


def receipt_in_record(row: sqlite3.Row) -> ReceiptInRecord:
    kind = row["matched_kind"]
    return ReceiptInRecord(
        id=row["id"], organ_id=row["organ_id"], axis_doc_id=row["axis_doc_id"],
        state=ReceiptInState(row["state"]), spool_path=row["spool_path"],
        package_sha256=row["package_sha256"], from_organ=row["from_organ"],
        document_id=row["document_id"], status_code=row["status_code"],
        matched_kind=None if kind is None else Kind(kind), matched_id=row["matched_id"],
        attempts=row["attempts"], due_at=from_ts(row["due_at"]),
        last_error=loads(row["last_error"]), created_at=at(row["created_at"]),
        updated_at=at(row["updated_at"]),
    )


class ReceiptOps(OutboundOps, Database):
    def queue_receipt(self, request: ReceiptRequest, now: dt.datetime) -> ReceiptOutRecord:
        """QUEUED. A request whose ``source_key`` was queued before returns that receipt."""
        with self._write("queueing a status receipt") as conn:
            item_id = self._queue(conn, request, ts(now))
            return self._receipt_out(conn, item_id)

    def _queue(self, conn: sqlite3.Connection, request: ReceiptRequest, now: float) -> int:
        if request.source_key is not None:
            old = conn.execute(
                "SELECT id FROM receipt_out WHERE source_key = ?", (request.source_key,)
            ).fetchone()
            if old is not None:
                return int(old[0])
        status_time = now if request.status_time is None else ts(request.status_time)
        cur = conn.execute(
            "INSERT INTO receipt_out (organ_id, to_organ, document_id, doc_code, status_code,"
            " description, staff, status_time, inbound_id, source_key, state, due_at,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (request.organ_id, request.to_organ, request.document_id, request.doc_code,
             request.status_code, request.description, dumps(dict(request.staff)),
             status_time, request.inbound_id, request.source_key,
             ReceiptOutState.QUEUED.value, now, now, now),
        )
        item_id = int(cur.lastrowid or 0)
        self._log(conn, _RO, item_id, now, "queued", state=ReceiptOutState.QUEUED.value,
                  code=request.status_code)
        if request.inbound_id is not None:
            self._log(conn, Kind.INBOUND, request.inbound_id, now, "receipt-queued",
                      code=request.status_code, detail={"receipt": item_id})
        return item_id

    def _receipt_out(self, conn: sqlite3.Connection, item_id: int) -> ReceiptOutRecord:
        row = conn.execute("SELECT * FROM receipt_out WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise JournalError(f"the journal has no receipt-out item {item_id}")
        return receipt_out_record(row)

    def receipt_out(self, item_id: int) -> ReceiptOutRecord | None:
        with self._read("reading a status receipt") as conn:
            row = conn.execute("SELECT * FROM receipt_out WHERE id = ?", (item_id,)).fetchone()
        return None if row is None else receipt_out_record(row)

    def claim_receipts_out(self, now: dt.datetime, limit: int) -> list[ReceiptOutRecord]:
        return [receipt_out_record(r) for r in self._claim(_RO, now, limit)]

    # --- receipts received ----------------------------------------------------------------------

    def apply_status(
        self, item_id: int, facts: StatusFacts, now: dt.datetime
    ) -> ReceiptInRecord:
        """APPLIED: the receipt is on the timeline of the document it answers (a sent one for
        01-06/15/16, a received one for 13) and moves that recipient's progress; UNMATCHED when
        no document matches. A copy of a receipt already applied is applied once only."""
        t = ts(now)
        with self._write("applying a status receipt") as conn:
            kind, target = self._match(conn, facts)
            sets: dict[str, object] = {
                "from_organ": facts.from_organ, "document_id": facts.document_id,
                "status_code": facts.status_code, "matched_kind": kind and kind.value,
                "matched_id": target,
                "status_time": None if facts.status_time is None else ts(facts.status_time),
            }
            if kind is None or target is None:
                self._transition(conn, _RI, item_id, ReceiptInEvent.UNMATCHED, t, sets=sets)
            else:
                if not self._seen(conn, item_id, facts, sets["status_time"]):
                    self._record_receipt(conn, kind, target, facts, t, item_id)
                self._transition(conn, _RI, item_id, ReceiptInEvent.APPLIED, t, sets=sets)
            row = conn.execute("SELECT * FROM receipt_in WHERE id = ?", (item_id,)).fetchone()
        return receipt_in_record(row)

    def _match(
        self, conn: sqlite3.Connection, facts: StatusFacts
    ) -> tuple[Kind | None, int | None]:
        if facts.status_code == CHANGE_REQUESTED:  # from the original sender, about our copy
            key = delivery_key(facts.to_organ, facts.from_organ, facts.document_id, 0)
            row = conn.execute("SELECT id FROM inbound WHERE delivery_key = ?", (key,)).fetchone()
            return (Kind.INBOUND, row[0]) if row else (None, None)
        row = conn.execute(
            "SELECT id FROM outbound WHERE organ_id = ? AND document_id = ?"
            " ORDER BY business_type != 0, id LIMIT 1", (facts.to_organ, facts.document_id),
        ).fetchone()
        if row is None and facts.doc_code:
            row = conn.execute(
                "SELECT id FROM outbound WHERE organ_id = ? AND code = ?"
                " ORDER BY business_type != 0, id LIMIT 1", (facts.to_organ, facts.doc_code),
            ).fetchone()
        return (Kind.OUTBOUND, row[0]) if row else (None, None)

    def _seen(
        self, conn: sqlite3.Connection, item_id: int, facts: StatusFacts, status_time: object
    ) -> bool:
        return conn.execute(
            "SELECT 1 FROM receipt_in WHERE document_id = ? AND from_organ = ?"
            " AND status_code = ? AND status_time IS ? AND id != ? AND matched_id IS NOT NULL",
            (facts.document_id, facts.from_organ, facts.status_code, status_time, item_id),
        ).fetchone() is not None

    def _record_receipt(
        self, conn: sqlite3.Connection, kind: Kind, target: int, facts: StatusFacts,
        now: float, receipt_id: int,
    ) -> None:
        detail = {
            "description": facts.description, "staff": dict(facts.staff), "receipt": receipt_id,
            "status_time": None if facts.status_time is None else facts.status_time.isoformat(),
        }
        self._log(conn, kind, target, now, "receipt", organ_id=facts.from_organ,
                  code=facts.status_code, detail=detail)
        if kind is Kind.OUTBOUND:
            self._advance_recipient(conn, target, facts.from_organ, facts.status_code, now)

    def _advance_recipient(
        self, conn: sqlite3.Connection, outbound_id: int, organ_id: str, code: str, now: float
    ) -> None:
        row = conn.execute(
            "SELECT delivery, progress FROM recipient WHERE outbound_id = ? AND organ_id = ?",
            (outbound_id, organ_id),
        ).fetchone()
        if row is None:  # a receipt from an organ we did not address: on the timeline only
            return
        if DeliveryState(row["delivery"]) is not DeliveryState.DELIVERED:
            self._deliver(conn, outbound_id, organ_id, DeliveryEvent.RECEIPT_RECEIVED, now)
        self._change(conn, outbound_id, organ_id, code, now)
        conn.execute(
            "UPDATE recipient SET progress = ?, updated_at = ? WHERE outbound_id = ?"
            " AND organ_id = ?",
            (advance_progress(row["progress"], code), now, outbound_id, organ_id),
        )

    def receipt_in(self, item_id: int) -> ReceiptInRecord | None:
        with self._read("reading a received status receipt") as conn:
            row = conn.execute("SELECT * FROM receipt_in WHERE id = ?", (item_id,)).fetchone()
        return None if row is None else receipt_in_record(row)

    def claim_receipts_in(self, now: dt.datetime, limit: int) -> list[ReceiptInRecord]:
        return [receipt_in_record(r) for r in self._claim(_RI, now, limit)]

