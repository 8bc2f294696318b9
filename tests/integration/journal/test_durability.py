"""The journal as a file on disk: reopening, the single-daemon lock, claims after a restart,
schema versions, a full disk, damaged files, abandoned transactions, batches and indexed queries."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest

from agent.core.lifecycle import Kind, OutboundState
from agent.errors import DiskFullError, JournalError, LienthongError, StorageError
from agent.journal import Agency, SqliteJournal, schema
from agent.journal import sqlite as sqlite_module

from .conftest import SENDER, T0, facts, later

OUT = Kind.OUTBOUND


class Crash(BaseException):
    """Stands for a kill: not an Exception, so nothing on the way catches it."""


def test_what_was_committed_is_there_after_reopening(path: Path) -> None:
    """Close, reopen: every row and its side data come back; the file passes integrity checks."""
    journal = SqliteJournal.open(path)
    item = journal.add_outbound(SENDER, "c1", "a", T0)
    journal.record_validated(item.id, facts(), T0)
    journal.close()
    journal = SqliteJournal.open(path)
    try:
        record = journal.outbound(item.id)
        assert record is not None and record.state is OutboundState.VALIDATED
        assert len(journal.recipients(item.id)) == 2
        assert journal.integrity_problems() == []
    finally:
        journal.close()


def test_a_second_daemon_on_the_same_journal_is_refused(path: Path) -> None:
    """The exclusive lock stops a second daemon; a CLI reader may still open it."""
    daemon = SqliteJournal.open(path)
    try:
        with pytest.raises(JournalError, match="another lienthong-agent"):
            SqliteJournal.open(path)
        reader = SqliteJournal.open(path, exclusive=False)
        assert reader.list_items(OUT) == []
        reader.close()
    finally:
        daemon.close()
    SqliteJournal.open(path).close()  # the lock was given back


def test_a_status_probe_at_start_up_does_not_stop_the_daemon(path: Path) -> None:
    """`status` probes the lock with a brief shared lock: a daemon opening the journal at that
    very moment waits for the probe to end instead of refusing to start."""
    import fcntl
    import os
    import threading

    SqliteJournal.open(path).close()  # creates the lock file
    fd = os.open(f"{path}.lock", os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # the probe, caught mid-way
    release = threading.Timer(0.3, lambda: (fcntl.flock(fd, fcntl.LOCK_UN), os.close(fd)))
    release.start()
    try:
        SqliteJournal.open(path).close()
    finally:
        release.join()


def test_claims_of_a_crashed_run_are_handed_out_again(path: Path) -> None:
    """An item claimed mid-step when the daemon died is due again after the restart."""
    journal = SqliteJournal.open(path)
    item = journal.add_outbound(SENDER, "c1", "a", T0)
    journal.claim_outbound(T0, 10)
    journal.record_validated(item.id, facts(), T0)
    journal.close()  # the run ends without releasing its claim
    journal = SqliteJournal.open(path)
    try:
        [resumed] = journal.claim_outbound(later(1), 10)
        assert (resumed.id, resumed.state) == (item.id, OutboundState.VALIDATED)
    finally:
        journal.close()


def test_an_abandoned_transaction_leaves_no_trace(journal: SqliteJournal) -> None:
    """A crash just before COMMIT (the crash hook) leaves the state and the side data as they
    were: no half-recorded validation with recipients but no state, or the other way round."""
    item = journal.add_outbound(SENDER, "c1", "a", T0)

    def crash() -> None:
        raise Crash

    journal.crash_hook = crash
    with pytest.raises(Crash):
        journal.record_validated(item.id, facts(), T0)
    journal.crash_hook = None
    record = journal.outbound(item.id)
    assert record is not None and record.state is OutboundState.PICKED_UP
    assert journal.recipients(item.id) == []
    assert [e.event for e in journal.timeline(OUT, item.id)] == ["picked-up"]


def test_a_batch_commits_everything_or_nothing(journal: SqliteJournal) -> None:
    """Calls inside batch() share one transaction; a failing call inside rolls back only
    itself (its savepoint), a failure of the batch rolls back all of it."""
    with journal.batch():
        first = journal.add_outbound(SENDER, "c1", "a", T0)
        with pytest.raises(LienthongError):
            journal.record_archived(first.id, T0)
        journal.add_outbound(SENDER, "c2", "b", T0)
    assert journal.known_claims(["c1", "c2"]) == {"c1", "c2"}
    with pytest.raises(Crash), journal.batch():
        journal.add_outbound(SENDER, "c3", "c", T0)
        raise Crash
    assert journal.known_claims(["c3"]) == set()


def test_a_full_disk_is_a_disk_full_error_and_nothing_half_done(journal: SqliteJournal) -> None:
    """SQLITE_FULL becomes DiskFullError; the failed call changed nothing, and the journal
    works again once there is room."""
    journal._conn.execute("PRAGMA max_page_count = 40")
    added = 0
    with pytest.raises(DiskFullError) as info:
        for i in range(10_000):
            journal.add_outbound(SENDER, f"claim-{i:05}-" + "x" * 200, "item" * 50, T0)
            added += 1
    assert "free disk space" in str(info.value)
    assert len(journal.list_items(OUT, limit=100_000)) == added
    journal._conn.execute("PRAGMA max_page_count = 1000000")
    journal.add_outbound(SENDER, "after", "a", T0)
    assert journal.known_claims(["after"]) == {"after"}


def test_a_journal_from_a_newer_agent_is_refused(path: Path) -> None:
    """A schema version above the known one is not guessed at."""
    SqliteJournal.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(JournalError, match="schema version 99") as info:
        SqliteJournal.open(path)
    assert info.value.hint and "newer" in info.value.hint


def test_a_damaged_file_is_a_journal_error(path: Path) -> None:
    """A file that is not a database never leaks a sqlite3 exception."""
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(JournalError, match="damaged"):
        SqliteJournal.open(path)


def test_an_unwritable_location_is_a_storage_error(tmp_path: Path) -> None:
    """A journal path under a regular file cannot be created: StorageError, not OSError."""
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError):
        SqliteJournal.open(tmp_path / "file" / "journal.sqlite")


def test_naive_times_are_refused(journal: SqliteJournal) -> None:
    """The journal takes timezone-aware times only, so no local-time guess slips in."""
    with pytest.raises(ValueError, match="timezone-aware"):
        journal.add_outbound(SENDER, "c1", "a", dt.datetime(2024, 11, 5, 8, 0))


def test_the_directory_is_replaced_atomically_and_checked(journal: SqliteJournal) -> None:
    """A sync replaces the cached directory; codes are known by code or old code; an empty
    answer is refused and the cached directory kept."""
    rows = [Agency(code="000.00.31.H53", name="UBND huyện Bến Cầu", old_code="H53.31"),
            Agency(code="000.22.31.H53", name="UBND xã Long Chữ", parent="000.00.31.H53")]
    assert journal.replace_agencies(rows, T0) == 2
    assert journal.unknown_agencies(["000.22.31.H53", "H53.31", "000.00.99.H53"]) == [
        "000.00.99.H53"]
    with pytest.raises(JournalError, match="empty directory"):
        journal.replace_agencies([], later(60))
    agency = journal.agency("000.22.31.H53")
    assert agency is not None and agency.parent == "000.00.31.H53"
    assert journal.directory_synced_at() == T0


def test_status_summary_counts_states_polls_and_failures(journal: SqliteJournal) -> None:
    """summary() gives queue depth per state, the oldest pending item, retries and polls."""
    a = journal.add_outbound(SENDER, "c1", "a", T0)
    journal.add_outbound(SENDER, "c2", "b", later(10))
    journal.postpone(OUT, a.id, {"message": "axis down"}, later(60), later(1))
    journal.record_poll("edoc:" + SENDER, later(2))
    journal.record_poll("edoc:" + SENDER, later(3), {"message": "timeout"})
    summary = journal.summary()
    assert summary.counts[OUT] == {"picked-up": 2}
    assert summary.oldest_pending[OUT] == T0 and summary.retrying[OUT] == 1
    [poll] = summary.polls
    assert (poll.last_success, poll.last_failure) == (later(2), later(3))
    assert poll.last_error == {"message": "timeout"}


def test_list_pages_newest_first_with_filters(journal: SqliteJournal) -> None:
    """list_items filters by state and organ and pages with before_id."""
    ids = [journal.add_outbound(SENDER, f"c{i}", f"item-{i}", T0).id for i in range(5)]
    journal.add_outbound("000.00.00.G22", "other", "x", T0)
    page = journal.list_items(OUT, organ_id=SENDER, limit=2)
    assert [r.id for r in page] == ids[:-3:-1] and page[0].label == "item-4"
    rest = journal.list_items(OUT, organ_id=SENDER, before_id=page[-1].id)
    assert [r.id for r in rest] == ids[2::-1]
    assert journal.list_items(OUT, states=["failed"]) == []


@pytest.mark.parametrize(("sql", "index"), [
    ("SELECT id FROM outbound WHERE lease IS NULL AND due_at <= 1 ORDER BY due_at LIMIT 5",
     "outbound_due"),
    ("SELECT id FROM inbound WHERE lease IS NULL AND due_at <= 1 ORDER BY due_at LIMIT 5",
     "inbound_due"),
    ("SELECT id FROM receipt_out WHERE lease IS NULL AND due_at <= 1 ORDER BY due_at LIMIT 5",
     "receipt_out_due"),
    ("SELECT id FROM receipt_in WHERE lease IS NULL AND due_at <= 1 ORDER BY due_at LIMIT 5",
     "receipt_in_due"),
    ("SELECT id FROM outbound WHERE organ_id = 'x' AND document_id = 'y'", "outbound_document"),
    ("SELECT id FROM inbound WHERE delivery_key = 'k'", "delivery_key"),
    ("SELECT * FROM timeline WHERE kind = 'outbound' AND item_id = 1 ORDER BY id",
     "timeline_item"),
    ("UPDATE outbound SET lease = NULL WHERE lease IS NOT NULL", "outbound_leased"),
])
def test_frequent_queries_use_their_index(journal: SqliteJournal, sql: str, index: str) -> None:
    """Claims, look-ups and start-up use an index (O(log n)), never a table scan."""
    plan = " ".join(str(tuple(r)) for r in journal._conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
    assert index in plan and "SCAN outbound" not in plan, plan


V2 = "ALTER TABLE outbound ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;"


def test_a_migration_upgrades_an_existing_journal_and_keeps_its_rows(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journal written at version 1 opens under a schema with a second migration: it is
    upgraded in place (user_version 2), its rows are kept."""
    journal = SqliteJournal.open(path)
    journal.add_outbound(SENDER, "c1", "a", T0)
    journal.close()
    monkeypatch.setattr(schema, "MIGRATIONS", (schema.V1, V2))
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (schema.V1, V2))
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", 2)
    journal = SqliteJournal.open(path)
    try:
        version = journal._conn.execute("PRAGMA user_version").fetchone()[0]
        columns = [r[1] for r in journal._conn.execute("PRAGMA table_info(outbound)")]
        assert version == 2 and "priority" in columns
        assert journal.known_claims(["c1"]) == {"c1"}
    finally:
        journal.close()


def test_a_failing_migration_leaves_the_previous_version(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails half-way is rolled back whole: version 1 and its data remain,
    and the error is a JournalError."""
    SqliteJournal.open(path).close()
    broken = "ALTER TABLE outbound ADD COLUMN x INTEGER; CREATE TABLE outbound (id INTEGER);"
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (schema.V1, broken))
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", 2)
    with pytest.raises(JournalError):
        SqliteJournal.open(path)
    conn = sqlite3.connect(path)
    columns = [r[1] for r in conn.execute("PRAGMA table_info(outbound)")]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1 and "x" not in columns
    conn.close()


def test_two_processes_creating_the_same_journal_at_once_both_open_it(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``status`` opening the journal while the daemon creates it: both read version 0, the
    daemon migrates first, and the second's script then meets the tables the first created
    (found in CI: "table outbound already exists"). The second open succeeds on the migrated
    journal instead of failing."""
    SqliteJournal.open(path).close()  # the first process migrated and committed
    stale = [0]  # the second had read user_version before that commit
    real = sqlite_module._user_version

    def user_version(conn: sqlite3.Connection) -> int:
        return stale.pop() if stale else real(conn)

    monkeypatch.setattr(sqlite_module, "_user_version", user_version)
    journal = SqliteJournal.open(path, exclusive=False)
    try:
        version = journal._conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == sqlite_module.SCHEMA_VERSION
    finally:
        journal.close()


def test_released_migrations_are_never_edited() -> None:
    """Migrations are append-only: a journal in the field was built by these exact scripts.
    Change the schema by adding a migration, never by editing a released one."""
    released = {0: "5b3e60722a83bd975a2e90c99801c420de9c5023a17376cffe260f26fe26dff5"}
    for index, digest in released.items():
        assert hashlib.sha256(schema.MIGRATIONS[index].encode()).hexdigest() == digest
    assert schema.SCHEMA_VERSION == len(schema.MIGRATIONS)
