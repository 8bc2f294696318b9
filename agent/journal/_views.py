"""What the CLI shows (status, list, show) and the small tables: polls and the directory."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from agent.core.lifecycle import MACHINES, Kind
from agent.errors import JournalError
from agent.journal._db import Database, at, dumps, from_ts, loads, ts
from agent.journal.records import (
    Agency,
    ErrorInfo,
    ItemSummary,
    JournalSummary,
    PollRecord,
    TimelineEntry,
)
from agent.journal.schema import TABLES

DIRECTORY_POLL = "directory"
_CHUNK = 500  # host parameters per IN (...) list, well under SQLite's limit
_LABEL = {  # the column that names an item in `list`
    Kind.OUTBOUND: "item_name", Kind.INBOUND: "axis_doc_id",
    Kind.RECEIPT_OUT: "status_code || ' to ' || to_organ", Kind.RECEIPT_IN: "axis_doc_id",
}
T = TypeVar("T")


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


class ViewOps(Database):
    def timeline(self, kind: Kind, item_id: int) -> list[TimelineEntry]:
        """Everything that happened to an item, oldest first."""
        with self._read("reading a timeline") as conn:
            rows = conn.execute(
                "SELECT * FROM timeline WHERE kind = ? AND item_id = ? ORDER BY id",
                (kind.value, item_id),
            ).fetchall()
        return [
            TimelineEntry(kind=kind, item_id=item_id, at=at(r["at"]), event=r["event"],
                          state=r["state"], organ_id=r["organ_id"], code=r["code"],
                          detail=loads(r["detail"]) or {})
            for r in rows
        ]

    def list_items(
        self, kind: Kind, *, states: Iterable[str] = (), organ_id: str | None = None,
        limit: int = 50, before_id: int | None = None,
    ) -> list[ItemSummary]:
        """Items of a kind, newest first, optionally filtered; page with ``before_id``."""
        wanted = list(states)
        where, args = ["1"], list[object]()
        if wanted:
            where.append(f"state IN ({_marks(wanted)})")
            args += wanted
        if organ_id is not None:
            where.append("organ_id = ?")
            args.append(organ_id)
        if before_id is not None:
            where.append("id < ?")
            args.append(before_id)
        document = "NULL" if kind is Kind.RECEIPT_IN else "document_id"
        sql = (f"SELECT id, organ_id, state, {_LABEL[kind]} AS label, {document} AS doc,"  # noqa: S608
               f" attempts, due_at, last_error, updated_at FROM {TABLES[kind]}"
               f" WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?")
        with self._read("listing items") as conn:
            rows = conn.execute(sql, (*args, limit)).fetchall()
        return [
            ItemSummary(kind=kind, id=r["id"], organ_id=r["organ_id"], state=r["state"],
                        label=r["label"] or "", document_id=r["doc"], attempts=r["attempts"],
                        due_at=from_ts(r["due_at"]), last_error=loads(r["last_error"]),
                        updated_at=at(r["updated_at"]))
            for r in rows
        ]

    def summary(self) -> JournalSummary:
        """Queue depth per state, the oldest unsettled item, retries, polls, the directory."""
        counts, oldest, retrying = {}, {}, {}
        with self._read("summarising the journal") as conn:
            for kind in Kind:
                counts[kind], oldest[kind], retrying[kind] = self._kind_summary(conn, kind)
            polls = tuple(_poll(r) for r in conn.execute("SELECT * FROM poll ORDER BY name"))
            size = conn.execute("SELECT count(*) FROM agency").fetchone()[0]
        synced = next((p.last_success for p in polls if p.name == DIRECTORY_POLL), None)
        return JournalSummary(counts=counts, oldest_pending=oldest, retrying=retrying,
                              polls=polls, directory_size=size, directory_synced_at=synced)

    def _kind_summary(
        self, conn: sqlite3.Connection, kind: Kind
    ) -> tuple[dict[str, int], dt.datetime | None, int]:
        table, machine = TABLES[kind], MACHINES[kind]
        rows = conn.execute(
            f"SELECT state, count(*), min(created_at) FROM {table} GROUP BY state"  # noqa: S608
        ).fetchall()
        unsettled = [s.value for s in machine.steps]
        firsts = [r[2] for r in rows if r[0] in unsettled]
        retrying = conn.execute(
            f"SELECT count(*) FROM {table} WHERE state IN ({_marks(unsettled)})"  # noqa: S608
            " AND last_error IS NOT NULL", unsettled,
        ).fetchone()[0]
        return {r[0]: r[1] for r in rows}, from_ts(min(firsts, default=None)), retrying

    def known_claims(self, claim_ids: Iterable[str]) -> set[str]:
        """Which of these work-area names the journal knows (outbound claims, status-out keys)."""
        names, known = list(claim_ids), set[str]()
        with self._read("looking up claims") as conn:
            for part in _chunks(names):
                marks = _marks(part)
                for sql in (f"SELECT claim_id FROM outbound WHERE claim_id IN ({marks})",  # noqa: S608
                            f"SELECT source_key FROM receipt_out WHERE source_key IN ({marks})"):  # noqa: S608
                    known.update(r[0] for r in conn.execute(sql, part))
        return known

    # --- polls and the directory ----------------------------------------------------------------

    def record_poll(self, name: str, now: dt.datetime, error: ErrorInfo | None = None) -> None:
        """A poll (or directory sync) called ``name`` succeeded, or failed with ``error``."""
        t = ts(now)
        with self._write("recording a poll") as conn:
            if error is None:
                conn.execute("INSERT INTO poll (name, last_success) VALUES (?, ?) ON CONFLICT"
                             " (name) DO UPDATE SET last_success = excluded.last_success",
                             (name, t))
            else:
                conn.execute("INSERT INTO poll (name, last_failure, last_error) VALUES (?, ?, ?)"
                             " ON CONFLICT (name) DO UPDATE SET last_failure ="
                             " excluded.last_failure, last_error = excluded.last_error",
                             (name, t, dumps(error)))

    def replace_agencies(self, agencies: Iterable[Agency], now: dt.datetime) -> int:
        """Replace the cached directory with a fresh getAgenciesList answer, atomically. An
        empty answer is refused: the cached directory is kept."""
        rows = [(a.code, a.name, a.id, a.mail, a.parent, a.old_code) for a in agencies]
        if not rows:
            raise JournalError("the axis returned an empty directory; the cached one is kept")
        with self._write("replacing the directory") as conn:
            conn.execute("DELETE FROM agency")
            conn.executemany("INSERT OR REPLACE INTO agency (code, name, id, mail, parent,"
                             " old_code) VALUES (?, ?, ?, ?, ?, ?)", rows)
            self.record_poll(DIRECTORY_POLL, now)
        return len(rows)

    def agency(self, code: str) -> Agency | None:
        with self._read("reading the directory") as conn:
            row = conn.execute("SELECT * FROM agency WHERE code = ?", (code,)).fetchone()
        return None if row is None else Agency(
            code=row["code"], name=row["name"], id=row["id"], mail=row["mail"],
            parent=row["parent"], old_code=row["old_code"])

    def unknown_agencies(self, codes: Iterable[str]) -> list[str]:
        """The codes that are in the directory neither as a code nor as an old code."""
        wanted, found = list(dict.fromkeys(codes)), set[str]()
        with self._read("checking codes against the directory") as conn:
            for part in _chunks(wanted):
                marks = _marks(part)
                found.update(r[0] for r in conn.execute(
                    f"SELECT code FROM agency WHERE code IN ({marks})", part))  # noqa: S608
                found.update(r[0] for r in conn.execute(
                    f"SELECT old_code FROM agency WHERE old_code IN ({marks})", part))  # noqa: S608
        return [c for c in wanted if c not in found]

    def directory_synced_at(self) -> dt.datetime | None:
        with self._read("reading the directory sync time") as conn:
            row = conn.execute("SELECT last_success FROM poll WHERE name = ?",
                               (DIRECTORY_POLL,)).fetchone()
        return None if row is None else from_ts(row[0])


def _poll(row: sqlite3.Row) -> PollRecord:
    return PollRecord(name=row["name"], last_success=from_ts(row["last_success"]),
                      last_failure=from_ts(row["last_failure"]),
                      last_error=loads(row["last_error"]))
