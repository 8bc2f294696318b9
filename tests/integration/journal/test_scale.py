"""The journal at the sizes of issue 6: start-up with 100,000 documents under 2 s, and claiming
the next due items costs the same with 100 or 100,000 settled rows (an index range scan)."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from agent.core.lifecycle import Kind, OutboundState
from agent.journal import SqliteJournal

from .conftest import SENDER, T0, facts, later

OUT = Kind.OUTBOUND
COPIES = 100  # 1,000 documents seeded through the API, copied 100 times: 100,000


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "journal.sqlite"
    _seed(path)
    return path


def _seed(path: Path) -> None:
    """1,000 archived documents (with recipients and timelines) through the API, then copied
    in SQL to 100,000; plus 50 documents left mid-upload by a 'crash'."""
    journal = SqliteJournal.open(path)
    with journal.batch():
        for n in range(1000):
            item = journal.add_outbound(SENDER, f"c{n:05}", f"{n}.edxml", T0)
            journal.record_validated(item.id, facts(f"D{n}"), T0)
            journal.record_package(OUT, item.id, "p", "00", T0)
            journal.start_attempt(OUT, item.id, T0)
            journal.record_sent(OUT, item.id, f"axis{n}", T0)
            journal.record_archived(item.id, T0)
    journal.close()
    conn = sqlite3.connect(path)
    with conn:
        for copy in range(1, COPIES):
            conn.execute(
                "INSERT INTO outbound (organ_id, claim_id, item_name, state, document_id,"
                " business_type, code, subject, package_path, package_sha256, axis_doc_id,"
                " attempts, created_at, updated_at) SELECT organ_id, claim_id || ?, item_name,"
                " state, document_id || ?, business_type, code, subject, package_path,"
                " package_sha256, axis_doc_id, attempts, created_at, updated_at FROM outbound"
                " WHERE id <= 1000", (f"-{copy}", f"-{copy}"))
            conn.execute(
                "INSERT INTO timeline (kind, item_id, at, event, state, organ_id, code, detail)"
                " SELECT kind, item_id + ?, at, event, state, organ_id, code, detail FROM"
                " timeline WHERE kind = 'outbound' AND item_id <= 1000", (copy * 1000,))
    conn.close()
    journal = SqliteJournal.open(path)
    for n in range(50):
        item = journal.add_outbound(SENDER, f"live{n}", "x", later(n))
        journal.claim_outbound(later(n), 1)
        journal.record_validated(item.id, facts(f"L{n}"), later(n))
    journal.close()


def test_start_up_with_100000_documents_takes_under_two_seconds(seeded: Path) -> None:
    """Opening the journal (migrations checked, claims of the crashed run released) and
    claiming the first due items, with 100,050 documents and 800,000 timeline rows."""
    path = seeded
    started = time.perf_counter()
    journal = SqliteJournal.open(path)
    claimed = journal.claim_outbound(later(100), 100)
    elapsed = time.perf_counter() - started
    try:
        assert len(claimed) == 50 and {r.state for r in claimed} == {OutboundState.VALIDATED}
        assert elapsed < 2.0, f"start-up took {elapsed:.2f} s"
        summary = journal.summary()
        assert summary.counts[OUT] == {"archived": 100_000, "validated": 50}
    finally:
        journal.close()


def test_claiming_does_not_slow_down_with_settled_rows(seeded: Path, tmp_path: Path) -> None:
    """Claiming 10 due items among 100,000 settled rows takes well under 50 ms."""
    shutil.copy(seeded, tmp_path / "journal.sqlite")
    journal = SqliteJournal.open(tmp_path / "journal.sqlite")
    try:
        with journal.batch():
            for n in range(200):
                journal.add_outbound(SENDER, f"due{n}", "x", later(n))
        started = time.perf_counter()
        for _ in range(20):
            batch = journal.claim_outbound(later(1000), 10)
            for record in batch:
                journal.release(OUT, record.id)
        per_claim = (time.perf_counter() - started) / 20
        assert per_claim < 0.05, f"a claim took {per_claim * 1000:.1f} ms"
    finally:
        journal.close()
