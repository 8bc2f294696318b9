"""Outbound documents and their recipients."""

from __future__ import annotations

import datetime as dt
import sqlite3

from agent.core.lifecycle import (
    CHANGE_REQUESTED,
    DELIVERY_MACHINE,
    ChangeState,
    DeliveryEvent,
    DeliveryState,
    Kind,
    OutboundEvent,
    OutboundState,
    advance_change,
)
from agent.errors import JournalError
from agent.journal._db import Database, at, from_ts, loads, ts
from agent.journal.records import DocumentFacts, OutboundRecord, RecipientRecord

_O = Kind.OUTBOUND


def outbound_record(row: sqlite3.Row) -> OutboundRecord:
    return OutboundRecord(
        id=row["id"], organ_id=row["organ_id"], claim_id=row["claim_id"],
        item_name=row["item_name"], state=OutboundState(row["state"]),
        document_id=row["document_id"], business_type=row["business_type"],
        ref_document_id=row["ref_document_id"], code=row["code"], subject=row["subject"],
        package_path=row["package_path"], package_sha256=row["package_sha256"],
        axis_doc_id=row["axis_doc_id"], attempts=row["attempts"], due_at=from_ts(row["due_at"]),
        last_error=loads(row["last_error"]), created_at=at(row["created_at"]),
        updated_at=at(row["updated_at"]),
    )


def recipient_record(row: sqlite3.Row) -> RecipientRecord:
    return RecipientRecord(
        outbound_id=row["outbound_id"], organ_id=row["organ_id"],
        delivery=DeliveryState(row["delivery"]), progress=row["progress"],
        change=ChangeState(row["change"]), updated_at=at(row["updated_at"]),
    )


class OutboundOps(Database):
    def add_outbound(
        self, organ_id: str, claim_id: str, item_name: str, now: dt.datetime
    ) -> OutboundRecord:
        """Register a claimed item (PICKED_UP). Registering the same claim again is a no-op,
        so start-up can adopt a work-area item whose registration a crash interrupted."""
        t = ts(now)
        with self._write("registering a picked-up document") as conn:
            cur = conn.execute(
                "INSERT INTO outbound (organ_id, claim_id, item_name, state, due_at,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (claim_id) DO NOTHING",
                (organ_id, claim_id, item_name, OutboundState.PICKED_UP.value, t, t, t),
            )
            if cur.rowcount:
                self._log(conn, _O, int(cur.lastrowid or 0), t, "picked-up",
                          state=OutboundState.PICKED_UP.value, detail={"item": item_name})
            row = conn.execute("SELECT * FROM outbound WHERE claim_id = ?", (claim_id,)).fetchone()
        return outbound_record(row)

    def record_validated(
        self, item_id: int, facts: DocumentFacts, now: dt.datetime
    ) -> OutboundRecord:
        """VALIDATED: the DocumentId is fixed and one PENDING row per recipient is created."""
        t = ts(now)
        with self._write("recording a validated document") as conn:
            self._transition(conn, _O, item_id, OutboundEvent.VALIDATION_PASSED, t, sets={
                "document_id": facts.document_id, "business_type": facts.business_type,
                "ref_document_id": facts.ref_document_id, "code": facts.code,
                "subject": facts.subject,
            })
            conn.executemany(
                "INSERT INTO recipient (outbound_id, organ_id, delivery, change, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(item_id, organ, DeliveryState.PENDING.value, ChangeState.NONE.value, t)
                 for organ in dict.fromkeys(facts.recipients)],
            )
            record = self._outbound(conn, item_id)
            if facts.business_type and facts.ref_document_id:
                self._request_change(conn, record, facts, t)
            return record

    def _request_change(
        self, conn: sqlite3.Connection, record: OutboundRecord, facts: DocumentFacts, now: float
    ) -> None:
        """A recall / update / replace opens a change request on the original's recipients."""
        for original in conn.execute(
            "SELECT id FROM outbound WHERE organ_id = ? AND document_id = ?"
            " AND business_type = 0", (record.organ_id, facts.ref_document_id),
        ).fetchall():
            for organ in facts.recipients:
                self._change(conn, original[0], organ, CHANGE_REQUESTED, now)

    def _change(
        self, conn: sqlite3.Connection, outbound_id: int, organ_id: str, code: str, now: float
    ) -> None:
        row = conn.execute(
            "SELECT change FROM recipient WHERE outbound_id = ? AND organ_id = ?",
            (outbound_id, organ_id),
        ).fetchone()
        if row is not None:
            new = advance_change(ChangeState(row[0]), code)
            conn.execute(
                "UPDATE recipient SET change = ?, updated_at = ? WHERE outbound_id = ?"
                " AND organ_id = ?", (new.value, now, outbound_id, organ_id),
            )

    def record_archived(self, item_id: int, now: dt.datetime) -> OutboundRecord:
        """ACCEPTED -> ARCHIVED (in sent/) or FAILING -> FAILED (in failed/)."""
        with self._write("recording an archived document") as conn:
            self._transition(conn, _O, item_id, OutboundEvent.ARCHIVED, ts(now))
            return self._outbound(conn, item_id)

    def record_delivery(
        self, outbound_id: int, organ_id: str, event: DeliveryEvent, now: dt.datetime,
        detail: str = "",
    ) -> RecipientRecord:
        """A delivery report for one recipient (getSentEdocList), through the delivery table."""
        t = ts(now)
        with self._write("recording a delivery report") as conn:
            self._deliver(conn, outbound_id, organ_id, event, t, detail)
            row = conn.execute(
                "SELECT * FROM recipient WHERE outbound_id = ? AND organ_id = ?",
                (outbound_id, organ_id),
            ).fetchone()
        return recipient_record(row)

    def _deliver(
        self, conn: sqlite3.Connection, outbound_id: int, organ_id: str, event: DeliveryEvent,
        now: float, detail: str = "",
    ) -> None:
        row = conn.execute(
            "SELECT delivery FROM recipient WHERE outbound_id = ? AND organ_id = ?",
            (outbound_id, organ_id),
        ).fetchone()
        if row is None:
            raise JournalError(f"{organ_id} is not a recipient of outbound item {outbound_id}")
        new = DELIVERY_MACHINE.apply(DeliveryState(row[0]), event)
        conn.execute(
            "UPDATE recipient SET delivery = ?, updated_at = ? WHERE outbound_id = ?"
            " AND organ_id = ?", (new.value, now, outbound_id, organ_id),
        )
        self._log(conn, _O, outbound_id, now, event.value, state=new.value, organ_id=organ_id,
                  detail={"detail": detail} if detail else None)

    def _outbound(self, conn: sqlite3.Connection, item_id: int) -> OutboundRecord:
        row = conn.execute("SELECT * FROM outbound WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise JournalError(f"the journal has no outbound item {item_id}")
        return outbound_record(row)

    def outbound(self, item_id: int) -> OutboundRecord | None:
        with self._read("reading an outbound document") as conn:
            row = conn.execute("SELECT * FROM outbound WHERE id = ?", (item_id,)).fetchone()
        return None if row is None else outbound_record(row)

    def outbound_by_claim(self, claim_id: str) -> OutboundRecord | None:
        with self._read("reading an outbound document") as conn:
            row = conn.execute("SELECT * FROM outbound WHERE claim_id = ?", (claim_id,)).fetchone()
        return None if row is None else outbound_record(row)

    def find_outbound(self, organ_id: str, document_id: str) -> list[OutboundRecord]:
        """The documents ``organ_id`` sent with this DocumentId, originals (type 0) first."""
        with self._read("finding an outbound document") as conn:
            rows = conn.execute(
                "SELECT * FROM outbound WHERE organ_id = ? AND document_id = ?"
                " ORDER BY business_type != 0, id", (organ_id, document_id),
            ).fetchall()
        return [outbound_record(r) for r in rows]

    def recipients(self, outbound_id: int) -> list[RecipientRecord]:
        with self._read("reading recipients") as conn:
            rows = conn.execute(
                "SELECT * FROM recipient WHERE outbound_id = ? ORDER BY organ_id",
                (outbound_id,),
            ).fetchall()
        return [recipient_record(r) for r in rows]

    def claim_outbound(self, now: dt.datetime, limit: int) -> list[OutboundRecord]:
        return [outbound_record(r) for r in self._claim(_O, now, limit)]
