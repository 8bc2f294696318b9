"""The SQLite schema of the journal and its migrations.

``PRAGMA user_version`` holds the schema version. :data:`MIGRATIONS` is append-only: entry *n*
takes a journal from version *n* to *n + 1*, and runs in one transaction with the version bump,
so a crash during a migration leaves the previous version intact. A journal written by a newer
agent (a higher version) is refused rather than guessed at.

Every query the daemon runs often is served by an index; ``tests/integration/journal`` checks the
query plans. The partial ``*_due`` indexes hold only unsettled, unclaimed items, so claiming the
next due items is an index range scan whatever the number of settled rows.
"""

from __future__ import annotations

_COMMON = """
    attempts    INTEGER NOT NULL DEFAULT 0,
    due_at      REAL,
    lease       TEXT,
    last_error  TEXT,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
"""


def _queue_indexes(table: str) -> str:
    return f"""
CREATE INDEX {table}_due ON {table}(due_at) WHERE lease IS NULL AND due_at IS NOT NULL;
CREATE INDEX {table}_leased ON {table}(lease) WHERE lease IS NOT NULL;
CREATE INDEX {table}_state ON {table}(state, created_at);
"""


V1 = f"""
CREATE TABLE outbound (
    id              INTEGER PRIMARY KEY,
    organ_id        TEXT NOT NULL,
    claim_id        TEXT NOT NULL UNIQUE,
    item_name       TEXT NOT NULL,
    state           TEXT NOT NULL,
    document_id     TEXT,
    business_type   INTEGER,
    ref_document_id TEXT,
    code            TEXT,
    subject         TEXT,
    package_path    TEXT,
    package_sha256  TEXT,
    axis_doc_id     TEXT,
    {_COMMON}
);
{_queue_indexes("outbound")}
CREATE INDEX outbound_document ON outbound(organ_id, document_id);
CREATE INDEX outbound_code ON outbound(organ_id, code);

CREATE TABLE recipient (
    outbound_id INTEGER NOT NULL REFERENCES outbound(id) ON DELETE CASCADE,
    organ_id    TEXT NOT NULL,
    delivery    TEXT NOT NULL,
    progress    TEXT,
    change      TEXT NOT NULL,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (outbound_id, organ_id)
) WITHOUT ROWID;

CREATE TABLE inbound (
    id              INTEGER PRIMARY KEY,
    organ_id        TEXT NOT NULL,
    axis_doc_id     TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL,
    document_id     TEXT,
    sender_id       TEXT,
    business_type   INTEGER,
    ref_document_id TEXT,
    code            TEXT,
    subject         TEXT,
    spool_path      TEXT,
    package_sha256  TEXT,
    inbox_path      TEXT,
    duplicate_of    INTEGER REFERENCES inbound(id),
    applied_to      INTEGER REFERENCES inbound(id),
    delivery_key    TEXT UNIQUE,
    {_COMMON}
);
{_queue_indexes("inbound")}
CREATE INDEX inbound_document ON inbound(organ_id, sender_id, document_id);
CREATE INDEX inbound_duplicate_of ON inbound(duplicate_of) WHERE duplicate_of IS NOT NULL;

CREATE TABLE receipt_out (
    id              INTEGER PRIMARY KEY,
    organ_id        TEXT NOT NULL,
    to_organ        TEXT NOT NULL,
    document_id     TEXT NOT NULL,
    doc_code        TEXT,
    status_code     TEXT NOT NULL,
    description     TEXT NOT NULL,
    staff           TEXT NOT NULL,
    status_time     REAL NOT NULL,
    inbound_id      INTEGER REFERENCES inbound(id),
    source_key      TEXT UNIQUE,
    state           TEXT NOT NULL,
    package_path    TEXT,
    package_sha256  TEXT,
    axis_doc_id     TEXT,
    {_COMMON}
);
{_queue_indexes("receipt_out")}
CREATE INDEX receipt_out_inbound ON receipt_out(inbound_id);

CREATE TABLE receipt_in (
    id              INTEGER PRIMARY KEY,
    organ_id        TEXT NOT NULL,
    axis_doc_id     TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL,
    spool_path      TEXT,
    package_sha256  TEXT,
    from_organ      TEXT,
    document_id     TEXT,
    status_code     TEXT,
    status_time     REAL,
    matched_kind    TEXT,
    matched_id      INTEGER,
    {_COMMON}
);
{_queue_indexes("receipt_in")}
CREATE INDEX receipt_in_match ON receipt_in(document_id, from_organ, status_code);

CREATE TABLE timeline (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    item_id     INTEGER NOT NULL,
    at          REAL NOT NULL,
    event       TEXT NOT NULL,
    state       TEXT,
    organ_id    TEXT,
    code        TEXT,
    detail      TEXT
);
CREATE INDEX timeline_item ON timeline(kind, item_id, id);

CREATE TABLE agency (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    id          TEXT,
    mail        TEXT,
    parent      TEXT,
    old_code    TEXT
) WITHOUT ROWID;
CREATE INDEX agency_old_code ON agency(old_code) WHERE old_code IS NOT NULL;

CREATE TABLE poll (
    name            TEXT PRIMARY KEY,
    last_success    REAL,
    last_failure    REAL,
    last_error      TEXT
) WITHOUT ROWID;
"""

#: Entry n upgrades version n to n + 1. Never edit a released entry; append a new one.
MIGRATIONS: tuple[str, ...] = (V1,)
SCHEMA_VERSION = len(MIGRATIONS)

#: The tables that hold items, by kind value (the names are constants, never user input).
TABLES = {
    "outbound": "outbound",
    "inbound": "inbound",
    "receipt-out": "receipt_out",
    "receipt-in": "receipt_in",
}
