"""The sandbox's SQLite database (WAL) under ``--data-dir``: schema and one guarded connection.

Package bodies are files under ``<data-dir>/packages``; the database holds the registry, the
packages' metadata, one delivery item per recipient, and the ledger. WAL with
``synchronous=NORMAL`` survives a killed process (nothing committed is lost on a restart);
``durable=True`` switches to ``FULL`` for power-loss safety.

The connection is shared by the event loop and the worker threads that ingest large packages, so
every use goes through :meth:`Database.tx` or :meth:`Database.read`, which hold one lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.errors import StorageError

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS systems (
    id TEXT PRIMARY KEY, secret TEXT NOT NULL, name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS organs (
    code TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, system_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '', pcode TEXT NOT NULL DEFAULT '', mail TEXT NOT NULL DEFAULT '',
    mobile TEXT NOT NULL DEFAULT '', fax TEXT NOT NULL DEFAULT '',
    locked INTEGER NOT NULL DEFAULT 0, old_code TEXT NOT NULL DEFAULT '',
    qd20_code TEXT NOT NULL DEFAULT '', level INTEGER, version INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0, modified TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS organs_by_system ON organs (system_id);
CREATE TABLE IF NOT EXISTS packages (
    doc_id TEXT PRIMARY KEY, system_id TEXT NOT NULL, from_code TEXT NOT NULL,
    message_type TEXT NOT NULL, service_type TEXT NOT NULL, document_id TEXT NOT NULL,
    notation TEXT NOT NULL, title TEXT NOT NULL, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL, delivered_sha256 TEXT NOT NULL, path TEXT NOT NULL,
    offset INTEGER NOT NULL, length INTEGER NOT NULL, created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL UNIQUE,
    package_id TEXT NOT NULL, to_code TEXT NOT NULL, message_type TEXT NOT NULL,
    status TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
    updated TEXT NOT NULL, received TEXT NOT NULL DEFAULT '', deliveries INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS items_pending ON items (to_code, message_type) WHERE status != 'done';
CREATE INDEX IF NOT EXISTS items_done ON items (to_code, message_type, seq) WHERE status = 'done';
CREATE INDEX IF NOT EXISTS items_by_package ON items (package_id);
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, event TEXT NOT NULL,
    doc_id TEXT NOT NULL DEFAULT '', package_id TEXT NOT NULL DEFAULT '',
    document_id TEXT NOT NULL DEFAULT '', message_type TEXT NOT NULL DEFAULT '',
    sender TEXT NOT NULL DEFAULT '', recipient TEXT NOT NULL DEFAULT '',
    system_id TEXT NOT NULL DEFAULT '', sha256 TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
"""


class Database:
    """One SQLite connection to ``<data-dir>/sandbox.sqlite3``, guarded by a lock."""

    def __init__(self, data_dir: Path, *, durable: bool = False) -> None:
        self.path = data_dir / "sandbox.sqlite3"
        try:
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self.path.chmod(0o600)  # it holds the systems' secrets
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self.conn.execute("PRAGMA busy_timeout=5000")
            self.conn.executescript(_SCHEMA)
            self.conn.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
            )
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open the sandbox database {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on error)."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"the sandbox database failed: {exc}") from exc

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Reads outside a transaction (each statement sees committed data)."""
        with self._lock:
            try:
                yield self.conn
            except sqlite3.Error as exc:
                raise StorageError(f"the sandbox database failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self.conn.close()
