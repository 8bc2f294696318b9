"""Packages, delivery items and the ledger: the store-and-forward state of the sandbox.

One accepted package has the sender's ``DocId`` and yields one delivery item per recipient, each
with its own ``docId`` (the ``receiverDocId`` of ``getSentEdocList``). A recipient polls the items
whose ``to`` organ is registered under its system (or is its system id itself), fetches them and
acknowledges them; the item's status mirrors into the sender's ``receiveStatus``.

The ledger records every step (``accepted``, ``delivered``, ``acknowledged``) and every injected
fault, with the DocumentId, sender, recipient and SHA-256 of the package bytes, for tests.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from agent.sandbox.clock import Clock, new_doc_id
from agent.sandbox.db import Database

_ITEM_VIEW = (
    "SELECT i.*, p.from_code, p.service_type, p.document_id, p.notation, p.title, p.path, "
    "p.offset, p.length, p.size, p.sha256, p.delivered_sha256, p.system_id AS sender_system, "
    "p.created AS sent "
    "FROM items i JOIN packages p ON p.doc_id = i.package_id "
)
_ADDRESSED_TO = (
    "(i.to_code = :system OR i.to_code IN "
    "(SELECT code FROM organs WHERE system_id = :system AND deleted = 0))"
)


@dataclass(frozen=True, slots=True)
class NewPackage:
    """A package accepted by ``sendEdoc``, ready to be recorded."""

    doc_id: str
    system_id: str
    from_code: str
    message_type: str
    service_type: str
    document_id: str
    notation: str
    title: str
    size: int
    sha256: str
    delivered_sha256: str
    path: str  # relative to the data directory
    offset: int
    length: int
    recipients: tuple[str, ...]


class Mailbox:
    """Read and write packages, items and ledger events."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def accept(self, pkg: NewPackage) -> list[str]:
        """Record a package and one ``initial`` item per recipient; return the items' docIds."""
        now, at = self.clock.stamp(), self.clock.iso()
        item_ids = [new_doc_id() for _ in pkg.recipients]
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO packages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (pkg.doc_id, pkg.system_id, pkg.from_code, pkg.message_type, pkg.service_type,
                 pkg.document_id, pkg.notation, pkg.title, pkg.size, pkg.sha256,
                 pkg.delivered_sha256, pkg.path, pkg.offset, pkg.length, now),
            )
            for item_id, to in zip(item_ids, pkg.recipients, strict=True):
                conn.execute(
                    "INSERT INTO items (doc_id, package_id, to_code, message_type, status, "
                    "created, updated) VALUES (?, ?, ?, ?, 'initial', ?, ?)",
                    (item_id, pkg.doc_id, to, pkg.message_type, now, now),
                )
                _ledger(conn, at, "accepted", doc_id=item_id, package_id=pkg.doc_id,
                        document_id=pkg.document_id, message_type=pkg.message_type,
                        sender=pkg.from_code, recipient=to, system_id=pkg.system_id,
                        sha256=pkg.sha256)
        return item_ids

    def pending(self, system_id: str, message_type: str) -> list[sqlite3.Row]:
        """Items addressed to the caller's organs, of this type, not yet ``done``; oldest first."""
        sql = (_ITEM_VIEW + f"WHERE i.message_type = :type AND i.status != 'done' AND "
               f"{_ADDRESSED_TO} ORDER BY i.seq")
        with self.db.read() as conn:
            return conn.execute(sql, {"type": message_type, "system": system_id}).fetchall()

    def count_pending(self, system_id: str, message_type: str) -> int:
        sql = ("SELECT COUNT(*) FROM items i WHERE i.message_type = :type AND "  # noqa: S608
               f"i.status != 'done' AND {_ADDRESSED_TO}")
        with self.db.read() as conn:
            row = conn.execute(sql, {"type": message_type, "system": system_id}).fetchone()
        return int(row[0])

    def recently_done(self, system_id: str, message_type: str, limit: int) -> list[sqlite3.Row]:
        """The caller's latest acknowledged items (for the duplicate-delivery fault)."""
        sql = (_ITEM_VIEW + f"WHERE i.message_type = :type AND i.status = 'done' AND "
               f"{_ADDRESSED_TO} ORDER BY i.seq DESC LIMIT :limit")
        args = {"type": message_type, "system": system_id, "limit": limit}
        with self.db.read() as conn:
            return conn.execute(sql, args).fetchall()

    def item_for(self, system_id: str, doc_id: str) -> sqlite3.Row | None:
        """The item ``doc_id`` when it is addressed to one of the caller's organs."""
        sql = _ITEM_VIEW + f"WHERE i.doc_id = :doc AND {_ADDRESSED_TO}"
        with self.db.read() as conn:
            row: sqlite3.Row | None = conn.execute(
                sql, {"doc": doc_id, "system": system_id}
            ).fetchone()
        return row

    def delivered(self, item: sqlite3.Row, system_id: str, sha256: str) -> None:
        """Note that ``item``'s package (SHA-256 ``sha256``) was handed to its recipient."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE items SET deliveries = deliveries + 1 WHERE doc_id = ?", (item["doc_id"],)
            )
            conn.execute(
                "UPDATE packages SET delivered_sha256 = ? "
                "WHERE doc_id = ? AND delivered_sha256 = ''",
                (sha256, item["package_id"]),
            )
            _ledger(conn, self.clock.iso(), "delivered", **_item_fields(item, system_id),
                    sha256=sha256)

    def set_status(self, item: sqlite3.Row, system_id: str, status: str, description: str) -> None:
        """Record an acknowledgement (``done``/``fail``/``processing``) of ``item``."""
        now = self.clock.stamp()
        received = now if status == "done" and not item["received"] else item["received"]
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE items SET status = ?, description = ?, updated = ?, received = ? "
                "WHERE doc_id = ?",
                (status, description, now, received, item["doc_id"]),
            )
            _ledger(conn, self.clock.iso(), "acknowledged", **_item_fields(item, system_id),
                    sha256=item["delivered_sha256"], detail=status)

    def sent(self, system_id: str, package_id: str) -> list[sqlite3.Row]:
        """One row per recipient of the caller's package ``package_id``."""
        sql = _ITEM_VIEW + "WHERE i.package_id = ? AND p.system_id = ? ORDER BY i.seq"
        with self.db.read() as conn:
            return conn.execute(sql, (package_id, system_id)).fetchall()

    def note(self, event: str, **values: str) -> None:
        """Add a free ledger event (``fault``, ``response-dropped``, ``duplicated``...)."""
        with self.db.tx() as conn:
            _ledger(conn, self.clock.iso(), event, **values)

    def ledger(self, since: int = 0, limit: int = 10_000) -> list[dict[str, Any]]:
        """Ledger events with ``seq`` greater than ``since``, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?", (since, limit)
            ).fetchall()
        return [dict(r) for r in rows]

    def items(self, since: int = 0, limit: int = 10_000) -> list[dict[str, Any]]:
        """Every delivery item with its package facts, for tests and the admin API."""
        with self.db.read() as conn:
            rows = conn.execute(
                _ITEM_VIEW + "WHERE i.seq > ? ORDER BY i.seq LIMIT ?", (since, limit)
            ).fetchall()
        return [dict(r) for r in rows]


def _item_fields(item: sqlite3.Row, system_id: str) -> dict[str, str]:
    return {
        "doc_id": item["doc_id"], "package_id": item["package_id"],
        "document_id": item["document_id"], "message_type": item["message_type"],
        "sender": item["from_code"], "recipient": item["to_code"], "system_id": system_id,
    }


def _ledger(conn: sqlite3.Connection, at: str, event: str, **values: str) -> None:
    detail = values.pop("detail", "")
    if not isinstance(detail, str):
        detail = json.dumps(detail, ensure_ascii=False)
    columns = ["time", "event", "detail", *values]
    conn.execute(
        f"INSERT INTO ledger ({', '.join(columns)}) "  # noqa: S608 - column names are ours
        f"VALUES ({', '.join('?' * len(columns))})",
        (at, event, detail, *values.values()),
    )
