"""SIGKILL a process that writes the journal, then reopen it: everything it reported committed is
there, nothing half-written is (a state without its recipients, a timeline out of step), and the
file passes SQLite's integrity and foreign-key checks."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from agent.core.lifecycle import Kind, OutboundState
from agent.journal import SqliteJournal

KILLEE = Path(__file__).with_name("killee.py")
ORDER = ["picked-up", "validated", "signed", "uploading"]


def _spawn(path: Path, start: int, pause_at: int | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, str(KILLEE), str(path), str(start)]
    if pause_at is not None:
        args.append(str(pause_at))
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def _read_until(proc: subprocess.Popen[str], stop: str | int) -> dict[str, str]:
    """Collect ``committed`` lines until the line ``stop`` or ``stop`` commits were seen."""
    committed: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        words = line.split()
        if words and words[0] == "committed":
            committed[words[1]] = words[2]
        if line.strip() == stop or (isinstance(stop, int) and len(committed) >= stop):
            break
    return committed


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def _check(path: Path, committed: dict[str, str]) -> None:
    journal = SqliteJournal.open(path)
    try:
        assert journal.integrity_problems() == []
        rows = {r.label: r for r in journal.list_items(Kind.OUTBOUND, limit=1_000_000)}
        for claim, state in committed.items():
            record = journal.outbound_by_claim(claim)
            assert record is not None, f"{claim} was committed and is lost"
            assert ORDER.index(record.state.value) >= ORDER.index(state)
        for row in rows.values():
            recipients = journal.recipients(row.id)
            assert len(recipients) == (0 if row.state == OutboundState.PICKED_UP else 2)
            assert journal.timeline(Kind.OUTBOUND, row.id)[-1].state == row.state
    finally:
        journal.close()


def test_a_kill_in_the_middle_of_a_transaction_leaves_the_earlier_state(tmp_path: Path) -> None:
    """Killed between the writes of a validation and its COMMIT: the document is PICKED_UP
    with no recipients, and every earlier commit survived."""
    path = tmp_path / "journal.sqlite"
    proc = _spawn(path, 0, pause_at=5)
    committed = _read_until(proc, "pausing")
    _kill(proc)
    assert committed["claim-000005"] == "picked-up" and committed["claim-000004"] == "uploading"
    _check(path, committed)
    journal = SqliteJournal.open(path)
    record = journal.outbound_by_claim("claim-000005")
    journal.close()
    assert record is not None and record.state is OutboundState.PICKED_UP


def test_kills_at_random_moments_lose_nothing_committed(tmp_path: Path) -> None:
    """Six writers killed at random points, each after its predecessor's crash: after every
    kill the journal reopens consistent and holds every commit that was reported."""
    path, rng, committed = tmp_path / "journal.sqlite", random.Random(4), dict[str, str]()
    for round_ in range(6):
        proc = _spawn(path, start=round_ * 10_000)
        committed |= _read_until(proc, rng.randint(3, 300))
        time.sleep(rng.random() / 200)
        _kill(proc)
        _check(path, committed)
