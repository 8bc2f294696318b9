"""Figures for the journal and the exchange folders (not a test; prints a table).

    python -m tests.integration.journal.bench_drain [--documents 10000] [--dir /var/tmp]

1. Journal drain: N queued documents walked through every outbound step (claim, validate,
   sign, upload started, accepted, archived: 6 durable commits each) by 1, 4 and 16 worker
   threads, on a real file system with synchronous=FULL. Group commit shares the fsyncs.
2. Folder drain: N package files picked up (scan, claim by rename), given a signed package
   (atomic write), archived to sent/, with a receipts timeline (atomic rewrite).
3. Start-up: reopening a journal that holds the drained documents and claiming the next batch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import threading
import time
from pathlib import Path

from agent.core.lifecycle import Kind
from agent.files.archive import archive_claim
from agent.files.atomic import write_file_atomic
from agent.files.layout import ExchangeLayout
from agent.files.pickup import claim, new_claim_id, scan
from agent.files.receipts import write_receipts_timeline
from agent.journal import DocumentFacts, SqliteJournal

T0 = dt.datetime(2024, 11, 5, 1, 30, tzinfo=dt.UTC)
ORGAN = "000.00.13.H53"


def journal_drain(base: Path, documents: int, workers: int) -> tuple[float, int]:
    path = base / f"journal-{workers}.sqlite"
    journal = SqliteJournal.open(path)
    with journal.batch():
        for n in range(documents):
            journal.add_outbound(ORGAN, f"c{n}", f"{n}.edxml", T0)
    before = journal.commits
    started = time.perf_counter()
    threads = [threading.Thread(target=_worker, args=(journal,)) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    commits = journal.commits - before
    assert journal.summary().counts[Kind.OUTBOUND] == {"archived": documents}
    journal.close()
    return elapsed, commits


def _worker(journal: SqliteJournal) -> None:
    out = Kind.OUTBOUND
    while batch := journal.claim_outbound(T0, 1):
        item = batch[0]
        journal.record_validated(item.id, DocumentFacts(
            document_id=f"D{item.id}", sender_id=ORGAN, recipients=("000.00.31.H53",)), T0)
        journal.record_package(out, item.id, f"/work/{item.claim_id}/package.edxml", "0" * 64, T0)
        journal.start_attempt(out, item.id, T0)
        journal.record_sent(out, item.id, f"axis{item.id}", T0)
        journal.record_archived(item.id, T0)


def folder_drain(base: Path, documents: int) -> float:
    layout = ExchangeLayout(base / "exchange", {ORGAN: ORGAN})
    layout.ensure()
    folders = layout.folders(ORGAN)
    for n in range(documents):
        (folders.outbox / f"{n:05}.edxml").write_bytes(b"<edXML/>" * 100)
    started = time.perf_counter()
    for item in scan(folders.outbox):
        claim_id = new_claim_id(T0, item.name)
        claim_dir = claim(item, folders.work_outbound, claim_id)
        assert claim_dir is not None
        write_file_atomic(claim_dir / "package.edxml", b"<edXML signed/>" * 100)
        archive_claim(claim_dir, folders.sent)
        write_receipts_timeline(folders, claim_id, {"item": item.name, "receipts": []})
    return time.perf_counter() - started


def start_up(path: Path) -> float:
    started = time.perf_counter()
    journal = SqliteJournal.open(path)
    journal.claim_outbound(T0, 100)
    elapsed = time.perf_counter() - started
    journal.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (a real disk)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="lienthong-bench-", dir=args.dir))
    try:
        n = args.documents
        print(f"{n} documents under {base}")
        for workers in (1, 4, 16):
            elapsed, commits = journal_drain(base, n, workers)
            print(f"journal drain, {workers:2} workers: {elapsed:6.2f} s  {n / elapsed:7.0f} doc/s"
                  f"  {6 * n / elapsed:7.0f} transitions/s  {commits} commits"
                  f" ({6 * n / commits:.1f} calls per fsync)")
        elapsed = folder_drain(base, n)
        print(f"folder drain (claim, package, sent/, receipts): {elapsed:6.2f} s"
              f"  {n / elapsed:7.0f} doc/s")
        print(f"start-up with {n} documents: {start_up(base / 'journal-16.sqlite') * 1000:.1f} ms")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
