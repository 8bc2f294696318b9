"""A writer for the kill tests (run as a subprocess, SIGKILLed by the test).

Usage: ``python killee.py JOURNAL START [PAUSE_AT]``. Registers documents ``START``, ``START+1``...
and walks each through validation (with recipients), signing and an upload attempt, printing
``committed <claim> <state>`` after each durable commit. With ``PAUSE_AT``, the transaction that
would validate that document prints ``pausing`` just before its COMMIT and sleeps there, so the
test can kill the process in the middle of a transaction.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from agent.core.lifecycle import Kind
from agent.journal import DocumentFacts, SqliteJournal

T0 = dt.datetime(2024, 11, 5, 1, 30, tzinfo=dt.UTC)


def main() -> None:
    journal = SqliteJournal.open(sys.argv[1])
    start = int(sys.argv[2])
    pause_at = int(sys.argv[3]) if len(sys.argv) > 3 else -1
    for n in range(start, start + 100_000):
        claim = f"claim-{n:06}"
        item = journal.add_outbound("000.00.13.H53", claim, f"{n}.edxml", T0)
        print("committed", claim, "picked-up", flush=True)
        if n == pause_at:
            journal.crash_hook = _pause
        facts = DocumentFacts(document_id=f"D{n}", sender_id="000.00.13.H53",
                              recipients=("000.00.31.H53", "000.22.31.H53"))
        journal.record_validated(item.id, facts, T0)
        print("committed", claim, "validated", flush=True)
        journal.record_package(Kind.OUTBOUND, item.id, f"/work/{claim}/package.edxml", "00", T0)
        journal.start_attempt(Kind.OUTBOUND, item.id, T0)
        print("committed", claim, "uploading", flush=True)


def _pause() -> None:
    print("pausing", flush=True)
    time.sleep(60)


if __name__ == "__main__":
    main()
