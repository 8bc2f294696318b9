"""Fill an agent's journal with settled documents, through the journal API, in batches.

    python -m bench.seed_journal JOURNAL.sqlite3 [--documents 100000]

Half the documents are sent ones (picked up, validated, signed, uploaded, accepted, archived, with
their recipient rows and timelines), half received ones (listed, fetched, verified, delivered,
acknowledged, with their automatic 01 queued and sent), exactly the rows the daemon writes for
real traffic. Each batch of 500 documents is one transaction (``Journal.batch()``), so 100,000
documents take well under a minute instead of an fsync per step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from agent.core.lifecycle import Kind  # noqa: E402
from agent.journal import DocumentFacts, ReceiptRequest, SqliteJournal  # noqa: E402

SENDER, RECIPIENT = "000.00.13.H53", "000.00.31.H53"
T0 = dt.datetime(2024, 11, 5, 1, 30, tzinfo=dt.UTC)
BATCH = 500


def _sent(journal: SqliteJournal, n: int, organ: str, peer: str, now: dt.datetime) -> None:
    out = Kind.OUTBOUND
    item = journal.add_outbound(organ, f"seed-{n:07}", f"{n}.edxml", now)
    journal.record_validated(item.id, DocumentFacts(
        document_id=f"{organ},2024/11/05,{n}/SEED", sender_id=organ, recipients=(peer,),
        code=f"{n}/SEED", subject="seeded"), now)
    journal.record_package(out, item.id, f"/seed/{n}/package.edxml", "0" * 64, now)
    journal.start_attempt(out, item.id, now)
    journal.record_sent(out, item.id, f"{n:024x}", now)
    journal.record_archived(item.id, now)


def _received(journal: SqliteJournal, n: int, organ: str, peer: str, now: dt.datetime) -> None:
    inb, rout = Kind.INBOUND, Kind.RECEIPT_OUT
    listed = journal.record_listed(inb, organ, f"{n:024x}", now)
    journal.record_fetched(inb, listed.id, f"/seed/spool/{n}.edxml", "0" * 64, now)
    journal.record_verified(listed.id, DocumentFacts(
        document_id=f"{peer},2024/11/05,{n}/SEED", sender_id=peer, recipients=(organ,),
        code=f"{n}/SEED", subject="seeded"), now)
    journal.record_delivered(listed.id, f"/seed/inbox/{n}", None, now)
    journal.record_acknowledged(inb, listed.id, now)
    receipt = journal.queue_receipt(ReceiptRequest(
        organ_id=organ, to_organ=peer, document_id=f"{peer},2024/11/05,{n}/SEED",
        doc_code=f"{n}/SEED", status_code="01", inbound_id=listed.id,
        source_key=f"auto-01:{listed.id}"), now)
    journal.record_package(rout, receipt.id, f"/seed/status/{n}.edxml", "0" * 64, now)
    journal.start_attempt(rout, receipt.id, now)
    journal.record_sent(rout, receipt.id, f"{n + 1:024x}", now)


def seed(path: Path, documents: int, *, organ: str = SENDER, peer: str = RECIPIENT) -> float:
    """Add ``documents`` settled documents to the journal at ``path``; returns seconds taken."""
    started = time.perf_counter()
    journal = SqliteJournal.open(path)
    try:
        for first in range(0, documents, BATCH):
            with journal.batch():
                for n in range(first, min(documents, first + BATCH)):
                    now = T0 + dt.timedelta(seconds=n)
                    if n % 2:
                        _received(journal, n, organ, peer, now)
                    else:
                        _sent(journal, n, organ, peer, now)
    finally:
        journal.close()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("journal", type=Path)
    parser.add_argument("--documents", type=int, default=100_000)
    args = parser.parse_args()
    seconds = seed(args.journal, args.documents)
    print(f"{args.documents} documents in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
