"""The SQLite implementation of the :class:`~agent.journal.port.Journal` port.

Settings, and why:

* ``journal_mode=WAL``: readers (the CLI's ``status``) never block the daemon's writer;
* ``synchronous=FULL``: every commit is fsynced before the method returns, so what the journal
  says happened survives a power cut, not only a crash of the process;
* ``foreign_keys=ON``: a recipient or a receipt never points at a missing document;
* ``busy_timeout``: a CLI reader or writer waits for the daemon's short transactions;
* one writer connection per process and an exclusive lock file per journal: two daemons on one
  journal would hand the same item to two workers, so the second one is refused at open.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import JournalError
from agent.journal._db import translated
from agent.journal._inbound import InboundOps
from agent.journal._steps import StepOps
from agent.journal._views import ViewOps
from agent.journal.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    from agent.journal.port import Journal

BUSY_TIMEOUT_MS = 10_000


class SqliteJournal(StepOps, InboundOps, ViewOps):
    """The journal in one SQLite file. Open it with :meth:`open`; share it between threads."""

    def __init__(self, conn: sqlite3.Connection, run_id: str, lock_fd: int | None) -> None:
        super().__init__(conn, run_id)
        self._lock_fd = lock_fd

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, exclusive: bool = True) -> SqliteJournal:
        """Open (creating or migrating) the journal at ``path``.

        ``exclusive`` (the daemon) takes the journal's lock file and hands every unsettled item
        out again: whatever a crashed run was doing is resumed. The CLI opens with
        ``exclusive=False`` to read, or to re-queue an item while the daemon runs.
        """
        db = Path(path)
        with translated("opening"):
            db.parent.mkdir(parents=True, exist_ok=True)
            lock_fd = _lock(db) if exclusive else None
            try:
                conn = _connect(db)
            except BaseException:
                if lock_fd is not None:
                    os.close(lock_fd)
                raise
        journal = cls(conn, secrets.token_hex(8), lock_fd)
        try:
            with translated("migrating"):
                migrate(conn)
            if exclusive:
                journal._release_all_claims()
        except BaseException:
            journal.close()
            raise
        return journal

    def close(self) -> None:
        """Close the connection and give the lock back. Closing twice is harmless."""
        with self._tx.read():
            with translated("closing"):
                self._conn.close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def integrity_problems(self) -> list[str]:
        """``PRAGMA integrity_check`` and ``foreign_key_check``: empty when the journal is sound."""
        with self._read("checking integrity") as conn:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            problems = [] if rows == ["ok"] else rows
            problems += [f"foreign key: {tuple(r)}" for r in conn.execute(
                "PRAGMA foreign_key_check")]
        return problems


# `status` and `send` probe the lock with a shared lock held for microseconds (lock_holder); a
# daemon starting at that instant waits this long before concluding another daemon holds it.
LOCK_GRACE_SECONDS = 2.0


def _lock(db: Path, grace: float = LOCK_GRACE_SECONDS) -> int:
    fd = os.open(f"{db}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    deadline = time.monotonic() + grace
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            os.close(fd)
            raise JournalError(
                f"another lienthong-agent is using the journal {db}",
                hint="stop the other daemon, or point this one at its own state directory",
            ) from None
    os.ftruncate(fd, 0)  # the holder's pid, for `status` (lock_holder)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def lock_holder(path: str | os.PathLike[str]) -> tuple[bool, int | None]:
    """Whether a process (a running daemon) holds the journal's lock, and its pid if it wrote
    one. Probes with a non-blocking shared lock released at once; never creates the lock file.
    JournalError when the lock file exists but cannot be opened (another user's, say)."""
    lock = Path(f"{path}.lock")
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False, None
    except OSError as exc:
        raise JournalError(f"cannot read the journal's lock file {lock}: {exc.strerror}",
                           hint="run this as the agent's user, or as root") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.read(fd, 32).decode("ascii", "replace").strip()
        return True, int(text) if text.isdigit() else None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False, None
    finally:
        os.close(fd)


def _connect(db: Path) -> sqlite3.Connection:
    new = not db.exists()
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":
        conn.close()
        raise JournalError(f"the journal {db} cannot use write-ahead logging (got {mode!r})",
                           hint="put the state directory on a local file system")
    for pragma in ("synchronous = FULL", "foreign_keys = ON",
                   f"busy_timeout = {BUSY_TIMEOUT_MS}", "temp_store = MEMORY"):
        conn.execute(f"PRAGMA {pragma}")
    if new:
        _fsync_dir(db.parent)
    return conn


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION`, one transaction per step; return it.

    Another process may open the same new journal at the same moment (``status`` while the daemon
    creates it): both see version 0, the second waits for the write lock and its step then fails
    on what the first created. A step that fails while the version moved past it was done by the
    other process, and is not an error."""
    version = _user_version(conn)
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"the journal has schema version {version}; this agent knows up to {SCHEMA_VERSION}",
            hint="run the newer lienthong-agent that wrote it, or restore a backup",
        )
    for step in range(version, SCHEMA_VERSION):
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[step]}\nPRAGMA user_version = {step + 1};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if _user_version(conn) > step:
                continue  # migrated by the other process meanwhile
            raise
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


if TYPE_CHECKING:  # mypy proves that SqliteJournal implements the port
    def _implements_the_port(journal: SqliteJournal) -> Journal:
        return journal
