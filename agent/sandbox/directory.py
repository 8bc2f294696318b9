"""The registry tables: systems with their secrets, and the organs registered under them.

Secrets are read from the database into a dict once and after each change, so checking a request's
signature costs no query. Organs are soft-deleted (``deleteAgency``) so ``getSynchronizeUnit`` can
report them with ``deleted: true`` and a bumped ``version``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, fields

from agent.core.organ import check_organ_code
from agent.core.xroad import Secret
from agent.sandbox.db import Database
from agent.sandbox.registry import OrganSpec, Registry, SystemSpec


@dataclass(frozen=True, slots=True)
class Organ:
    """One organ as stored (a row of ``organs``)."""

    code: str
    id: str
    system_id: str
    name: str
    pcode: str
    mail: str
    mobile: str
    fax: str
    locked: bool
    old_code: str
    qd20_code: str
    level: int | None
    version: int
    deleted: bool
    modified: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Organ:
        values = {f.name: row[f.name] for f in fields(cls)}
        values["locked"], values["deleted"] = bool(row["locked"]), bool(row["deleted"])
        return cls(**values)


def organ_object_id(code: str) -> str:
    """A stable 24-hex id for an organ, like the axis's ids, derived from its code."""
    return hashlib.sha256(f"organ:{code}".encode()).hexdigest()[:24]


def computed_level_and_parent(code: str) -> tuple[int | None, str]:
    """Level and parent by the rule of AXIS.md §8.1, or (None, "") for an unreadable code."""
    parsed = check_organ_code(code).code
    if parsed is None:
        return None, ""
    return parsed.level, str(parsed.parent) if parsed.parent else ""


class Directory:
    """Systems and organs in the sandbox database, cached in memory.

    The cache is reloaded after each own change, and by :meth:`refresh` (called once per request)
    when another connection changed the database (SQLite's ``data_version``: ``sandbox agency
    add`` while the server runs).
    """

    def __init__(self, db: Database, clock: Callable[[], str]) -> None:
        self.db = db
        self.clock = clock
        self._secrets: dict[str, Secret] = {}
        self._organs: dict[str, Organ] = {}
        self._version = -1

    def refresh(self) -> None:
        """Reload the cache when another process changed the registry."""
        with self.db.read() as conn:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._load()

    def _fresh(self) -> None:
        if self._version < 0:
            self._load()

    def _load(self) -> None:
        with self.db.read() as conn:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            systems = conn.execute("SELECT id, secret FROM systems").fetchall()
            organs = conn.execute("SELECT * FROM organs").fetchall()
        self._secrets = {r["id"]: Secret(r["secret"]) for r in systems}
        self._organs = {r["code"]: Organ.from_row(r) for r in organs}
        self._version = version

    def _changed(self) -> None:
        self._version = -1

    def secret(self, system_id: str) -> Secret | None:
        """The secret of a registered system (a :class:`Secret`, whose repr hides it)."""
        self._fresh()
        return self._secrets.get(system_id)

    def is_system(self, code: str) -> bool:
        self._fresh()
        return code in self._secrets

    def apply(self, registry: Registry) -> None:
        """Upsert every system and organ of ``registry`` in one transaction (start-up)."""
        with self.db.tx() as conn:
            for system in registry.systems:
                _upsert_system(conn, system)
            for organ in registry.organs:
                _upsert_organ(conn, organ, self.clock())
        self._changed()

    def put_system(self, system: SystemSpec) -> None:
        with self.db.tx() as conn:
            _upsert_system(conn, system)
        self._changed()

    def put_organ(self, spec: OrganSpec) -> Organ:
        """Insert or update (and undelete) an organ; missing level and pcode are computed."""
        with self.db.tx() as conn:
            _upsert_organ(conn, spec, self.clock())
        self._changed()
        found = self.organ(spec.code)
        assert found is not None
        return found

    def organ(self, code: str) -> Organ | None:
        """The organ with this code, deleted or not."""
        self._fresh()
        return self._organs.get(code)

    def organs(self, *, include_deleted: bool = False, system_id: str | None = None) -> list[Organ]:
        sql, args = "SELECT * FROM organs WHERE 1 = 1", []
        if not include_deleted:
            sql += " AND deleted = 0"
        if system_id is not None:
            sql, args = sql + " AND system_id = ?", [system_id]
        with self.db.read() as conn:
            rows = conn.execute(sql + " ORDER BY code", args).fetchall()
        return [Organ.from_row(r) for r in rows]

    def systems(self) -> list[tuple[str, str]]:
        """``(id, name)`` of every system; secrets are not returned."""
        with self.db.read() as conn:
            rows = conn.execute("SELECT id, name FROM systems ORDER BY id").fetchall()
        return [(r["id"], r["name"]) for r in rows]

    def set_locked(self, code: str, locked: bool) -> bool:
        """Lock or unlock an organ; False when there is no such organ."""
        with self.db.tx() as conn:
            cur = conn.execute(
                "UPDATE organs SET locked = ?, version = version + 1, modified = ? WHERE code = ?",
                (int(locked), self.clock(), code),
            )
        self._changed()
        return cur.rowcount > 0

    def delete(self, code: str) -> bool:
        """Soft-delete an organ; False when there is no live organ with this code."""
        with self.db.tx() as conn:
            cur = conn.execute(
                "UPDATE organs SET deleted = 1, version = version + 1, modified = ? "
                "WHERE code = ? AND deleted = 0",
                (self.clock(), code),
            )
        self._changed()
        return cur.rowcount > 0

    def id_to_code(self) -> dict[str, str]:
        """Map of 24-hex organ id to code (to resolve a ``pcode`` given as an id)."""
        with self.db.read() as conn:
            return dict(conn.execute("SELECT id, code FROM organs").fetchall())


def _upsert_system(conn: sqlite3.Connection, system: SystemSpec) -> None:
    conn.execute(
        "INSERT INTO systems (id, secret, name) VALUES (?, ?, ?) ON CONFLICT (id) DO "
        "UPDATE SET secret = excluded.secret, name = excluded.name",
        (system.id, system.secret, system.name),
    )


def _upsert_organ(conn: sqlite3.Connection, spec: OrganSpec, now: str) -> None:
    level, parent = computed_level_and_parent(spec.code)
    row = {
        "code": spec.code, "id": spec.id or organ_object_id(spec.code),
        "system_id": spec.system_id, "name": spec.name, "pcode": spec.pcode or parent,
        "mail": spec.mail, "mobile": spec.mobile, "fax": spec.fax, "locked": int(spec.locked),
        "old_code": spec.old_code, "qd20_code": spec.qd20_code or spec.code,
        "level": spec.level if spec.level is not None else level, "modified": now,
    }
    names = ", ".join(row)
    kept = [k for k in row if k not in ("code", "id")]
    updates = ", ".join(f"{k} = excluded.{k}" for k in kept)
    changed = " OR ".join(f"organs.{k} IS NOT excluded.{k}" for k in kept if k != "modified")
    conn.execute(  # an unchanged organ keeps its version (a restart re-applies the registry)
        f"INSERT INTO organs ({names}) VALUES ({', '.join('?' * len(row))}) "  # noqa: S608
        f"ON CONFLICT (code) DO UPDATE SET {updates}, deleted = 0, version = organs.version + 1 "
        f"WHERE organs.deleted = 1 OR {changed}",
        tuple(row.values()),
    )
