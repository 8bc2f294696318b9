"""Inbound documents: verification with de-duplication, delivery, changes to earlier documents."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from agent.core.lifecycle import InboundEvent, InboundState, Kind
from agent.errors import JournalError
from agent.journal._db import Database, at, from_ts, loads, ts
from agent.journal.records import DocumentFacts, InboundRecord

_I = Kind.INBOUND
_DELIVERED = {InboundState.DELIVERED.value, InboundState.APPLIED.value, InboundState.ACKED.value}


def inbound_record(row: sqlite3.Row) -> InboundRecord:
    return InboundRecord(
        id=row["id"], organ_id=row["organ_id"], axis_doc_id=row["axis_doc_id"],
        state=InboundState(row["state"]), document_id=row["document_id"],
        sender_id=row["sender_id"], business_type=row["business_type"],
        ref_document_id=row["ref_document_id"], code=row["code"], subject=row["subject"],
        spool_path=row["spool_path"], package_sha256=row["package_sha256"],
        inbox_path=row["inbox_path"], duplicate_of=row["duplicate_of"],
        applied_to=row["applied_to"], attempts=row["attempts"], due_at=from_ts(row["due_at"]),
        last_error=loads(row["last_error"]), created_at=at(row["created_at"]),
        updated_at=at(row["updated_at"]),
    )


def delivery_key(organ_id: str, sender_id: str, document_id: str, business_type: int) -> str:
    """What makes two copies the same document for one of our organs: the receiver, the
    sender, the DocumentId and the business type (a recall repeats the original DocumentId)."""
    return json.dumps([organ_id, sender_id, document_id, business_type], ensure_ascii=False)


class InboundOps(Database):
    def record_verified(
        self, item_id: int, facts: DocumentFacts, now: dt.datetime
    ) -> InboundRecord:
        """VERIFIED for the first copy of a document, DUPLICATE (with ``duplicate_of``) for any
        later copy, whichever axis docId it came under. One copy at most ever holds the key.

        A DUPLICATE is not due until its first copy is delivered, so acknowledging a copy never
        runs ahead of the delivery (:meth:`record_delivered` makes the waiting copies due)."""
        t = ts(now)
        with self._write("recording a verified document") as conn:
            organ_id = self._inbound(conn, item_id).organ_id
            key = delivery_key(organ_id, facts.sender_id, facts.document_id, facts.business_type)
            sets: dict[str, object] = {
                "document_id": facts.document_id, "sender_id": facts.sender_id,
                "business_type": facts.business_type, "ref_document_id": facts.ref_document_id,
                "code": facts.code, "subject": facts.subject,
            }
            holder = conn.execute(
                "SELECT id, state FROM inbound WHERE delivery_key = ?", (key,)
            ).fetchone()
            if holder is not None and holder[0] != item_id:
                sets["duplicate_of"] = holder[0]
                if holder[1] not in _DELIVERED:  # wait for the first copy's delivery
                    sets["due_at"] = None
                self._transition(conn, _I, item_id, InboundEvent.DUPLICATE_FOUND, t, sets=sets)
            else:
                sets["delivery_key"] = key
                self._transition(conn, _I, item_id, InboundEvent.VERIFIED, t, sets=sets)
            return self._inbound(conn, item_id)

    def record_delivered(
        self, item_id: int, inbox_path: str | None, applied_to: int | None, now: dt.datetime
    ) -> InboundRecord:
        """DELIVERED (its inbox folder is durable), or APPLIED when a recall only changed the
        earlier document ``applied_to`` (``inbox_path`` None). The earlier document's timeline
        records the change in the same transaction."""
        if inbox_path is None and applied_to is None:
            raise JournalError("a delivery needs an inbox folder or an earlier document")
        t = ts(now)
        event = InboundEvent.DELIVERED if inbox_path is not None else InboundEvent.APPLIED
        with self._write("recording a delivered document") as conn:
            self._transition(conn, _I, item_id, event, t,
                             sets={"inbox_path": inbox_path, "applied_to": applied_to})
            conn.execute(  # copies that waited for this delivery may now be acknowledged
                "UPDATE inbound SET due_at = ? WHERE duplicate_of = ? AND state = ?"
                " AND due_at IS NULL", (t, item_id, InboundState.DUPLICATE.value))
            record = self._inbound(conn, item_id)
            if applied_to is not None:
                self._inbound(conn, applied_to)
                self._log(conn, _I, applied_to, t, "changed", detail={
                    "by": item_id, "business_type": record.business_type,
                    "document_id": record.document_id,
                })
            return record

    def _inbound(self, conn: sqlite3.Connection, item_id: int) -> InboundRecord:
        row = conn.execute("SELECT * FROM inbound WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise JournalError(f"the journal has no inbound item {item_id}")
        return inbound_record(row)

    def inbound(self, item_id: int) -> InboundRecord | None:
        with self._read("reading an inbound document") as conn:
            row = conn.execute("SELECT * FROM inbound WHERE id = ?", (item_id,)).fetchone()
        return None if row is None else inbound_record(row)

    def find_inbound(
        self, organ_id: str, sender_id: str, document_id: str, business_type: int = 0
    ) -> InboundRecord | None:
        """The copy of a document that was (or is being) delivered to ``organ_id``."""
        key = delivery_key(organ_id, sender_id, document_id, business_type)
        with self._read("finding an inbound document") as conn:
            row = conn.execute("SELECT * FROM inbound WHERE delivery_key = ?", (key,)).fetchone()
        return None if row is None else inbound_record(row)

    def claim_inbound(self, now: dt.datetime, limit: int) -> list[InboundRecord]:
        return [inbound_record(r) for r in self._claim(_I, now, limit)]
