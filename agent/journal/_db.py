"""The SQLite plumbing shared by every part of :class:`SqliteJournal`.

One writer connection, guarded by a lock so the daemon's worker threads can share it. Every
public method runs in :meth:`Database._write` (``BEGIN IMMEDIATE`` ... ``COMMIT``) or, nested in a
:meth:`batch`, in a savepoint of the batch's transaction. sqlite3 errors are translated here, at
the edge, into :mod:`agent.errors`; none escapes.

The ``noqa: S608`` marks in this package are on statements that interpolate table and column
*names*, which come from constants here (``schema.TABLES``, fixed column lists); every value is a
bound parameter.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from agent.core.lifecycle import MACHINES, InboundState, Kind, OutboundState
from agent.core.lifecycle import ReceiptInState as RIn
from agent.core.lifecycle import ReceiptOutState as ROut
from agent.errors import DiskFullError, JournalError, LienthongError, StorageError
from agent.journal._commit import GroupCommit
from agent.journal.records import ErrorInfo
from agent.journal.schema import TABLES

# sqlite3 primary result codes (the low byte of an extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26

#: States whose stored error explains the state; leaving any other state clears last_error.
ERROR_STATES: frozenset[StrEnum] = frozenset({
    OutboundState.RETRY_WAIT, OutboundState.FAILING, OutboundState.FAILED,
    InboundState.QUARANTINED, InboundState.REJECTED,
    ROut.RETRY_WAIT, ROut.FAILED, RIn.MALFORMED, RIn.REJECTED,
})


def translate(exc: sqlite3.Error | OSError, action: str) -> LienthongError:
    """The agent error for a database or file-system failure during ``action``."""
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return DiskFullError(f"no space left for the journal while {action}",
                                 hint="free disk space; the agent resumes where it stopped")
        return StorageError(f"cannot use the journal while {action}: {exc.strerror or exc}")
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code == _FULL:
        return DiskFullError(f"the journal's disk is full while {action}",
                             hint="free disk space; the agent resumes where it stopped")
    if code in (_BUSY, _LOCKED):
        return JournalError(f"the journal stayed locked while {action}",
                            hint="another process holds a long transaction on it")
    if code in (_CORRUPT, _NOTADB):
        return JournalError(f"the journal is damaged ({exc})",
                            hint="stop the agent; restore the journal from a backup")
    if code in (_IOERR, _READONLY, _CANTOPEN):
        return StorageError(f"cannot read or write the journal while {action}: {exc}",
                            hint="check the disk, the path and its permissions")
    return JournalError(f"journal error while {action}: {exc}")


@contextmanager
def translated(action: str) -> Iterator[None]:
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, action) from exc


def ts(moment: dt.datetime) -> float:
    """Seconds since the epoch for a timezone-aware time (naive times are refused)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the journal takes timezone-aware times only")
    return moment.timestamp()


def from_ts(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.UTC)


def at(value: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, dt.UTC)


def dumps(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)


class Database:
    """Connection, transactions and the generic transition every item kind shares."""

    def __init__(self, conn: sqlite3.Connection, run_id: str) -> None:
        self._conn = conn
        self._run_id = run_id
        self._tx = GroupCommit(conn)

    @property
    def crash_hook(self) -> Callable[[], None] | None:
        """Crash tests only: called just before each COMMIT; raising there abandons the
        transaction exactly as a kill at that moment would."""
        return self._tx.crash_hook

    @crash_hook.setter
    def crash_hook(self, hook: Callable[[], None] | None) -> None:
        self._tx.crash_hook = hook

    @property
    def commits(self) -> int:
        """How many COMMITs (fsyncs) this journal issued: fewer than calls under group commit."""
        return self._tx.commits

    @contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        with translated(action), self._tx.write() as conn:
            yield conn

    @contextmanager
    def _read(self, action: str) -> Iterator[sqlite3.Connection]:
        with translated(action), self._tx.read() as conn:
            yield conn

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group the calls made inside into one transaction: one commit, one fsync. Other
        threads wait until the batch ends."""
        with self._write("writing a batch"):
            yield

    def _state(self, conn: sqlite3.Connection, kind: Kind, item_id: int) -> StrEnum:
        row = conn.execute(
            f"SELECT state FROM {TABLES[kind]} WHERE id = ?", (item_id,)  # noqa: S608
        ).fetchone()
        if row is None:
            raise JournalError(f"the journal has no {kind.value} item {item_id}")
        state: StrEnum = type(MACHINES[kind].initial)(row[0])
        return state

    def _transition(
        self, conn: sqlite3.Connection, kind: Kind, item_id: int, event: StrEnum,
        now: float, *, sets: Mapping[str, object] | None = None, retry_at: float | None = None,
        error: ErrorInfo | None = None, attempt: bool = False,
    ) -> StrEnum:
        """Apply ``event`` to the item's state through its table and store the result.

        Settled and waiting states give the claim back; other states keep it, so the worker that
        holds the item carries it on to its next step. ``sets`` names columns (constants from
        this package, never input) to change in the same statement.
        """
        machine = MACHINES[kind]
        new: StrEnum = machine.apply(self._state(conn, kind, item_id), event)
        settled = new in machine.settled
        columns: dict[str, object] = {
            "state": new.value,
            "updated_at": now,
            "due_at": None if settled else (now if retry_at is None else retry_at),
            **(sets or {}),
        }
        if settled or retry_at is not None:
            columns["lease"] = None
        if error is not None or new not in ERROR_STATES:
            columns["last_error"] = dumps(error)
        assign = ", ".join(f"{name} = ?" for name in columns)
        bump = ", attempts = attempts + 1" if attempt else ""
        conn.execute(
            f"UPDATE {TABLES[kind]} SET {assign}{bump} WHERE id = ?",  # noqa: S608
            (*columns.values(), item_id),
        )
        detail = {"error": dict(error)} if error is not None else None
        self._log(conn, kind, item_id, now, event.value, state=new.value, detail=detail)
        return new

    def _log(
        self, conn: sqlite3.Connection, kind: Kind, item_id: int, now: float, event: str, *,
        state: str | None = None, organ_id: str | None = None, code: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        conn.execute(
            "INSERT INTO timeline (kind, item_id, at, event, state, organ_id, code, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind.value, item_id, now, event, state, organ_id, code, dumps(detail)),
        )

    def _claim(self, kind: Kind, now: dt.datetime, limit: int) -> list[sqlite3.Row]:
        table = TABLES[kind]
        with self._write(f"claiming due {kind.value} items") as conn:
            rows = conn.execute(
                f"UPDATE {table} SET lease = ? WHERE id IN ("  # noqa: S608
                f" SELECT id FROM {table} WHERE lease IS NULL AND due_at <= ?"
                " ORDER BY due_at LIMIT ?) RETURNING *",
                (self._run_id, ts(now), limit),
            ).fetchall()
        return sorted(rows, key=lambda r: (r["due_at"], r["id"]))

    def _release_all_claims(self) -> None:
        with self._write("releasing the claims of an earlier run") as conn:
            for table in TABLES.values():
                conn.execute(
                    f"UPDATE {table} SET lease = NULL WHERE lease IS NOT NULL"  # noqa: S608
                )
