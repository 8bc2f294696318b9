"""Group commit: concurrent calls share COMMITs, yet each call stays atomic and is durable when
it returns, and a COMMIT that fails fails every call that was part of it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from agent.core.lifecycle import Kind
from agent.errors import DiskFullError, IllegalTransitionError, LienthongError
from agent.journal import SqliteJournal

from .conftest import SENDER, T0


def _wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_concurrent_workers_share_commits_and_lose_nothing(path: Path) -> None:
    """16 threads x 40 calls: every registration is there after reopening, with fewer COMMITs
    than calls; the calls that break a rule fail alone."""
    journal = SqliteJournal.open(path)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        for i in range(40):
            item = journal.add_outbound(SENDER, f"w{n}-{i}", "x", T0)
            try:
                journal.record_archived(item.id, T0)  # illegal: never accepted
            except IllegalTransitionError:
                continue
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    commits = journal.commits
    journal.close()
    journal = SqliteJournal.open(path)
    claims = {f"w{n}-{i}" for n in range(16) for i in range(40)}
    assert errors == [] and journal.known_claims(claims) == claims
    assert all(r.state == "picked-up" for r in journal.list_items(Kind.OUTBOUND, limit=1000))
    assert commits < len(claims)
    journal.close()


def test_a_failed_group_commit_fails_every_call_in_it(journal: SqliteJournal) -> None:
    """While one COMMIT is held, four calls queue up and go into the next transaction; when
    that COMMIT fails (disk full) all four raise DiskFullError and none of them is stored."""
    hold, calls = threading.Event(), []

    def hook() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            hold.wait(5)
        elif len(calls) == 2:
            full = sqlite3.OperationalError("database or disk is full")
            full.sqlite_errorcode = 13  # type: ignore[attr-defined]
            raise full

    outcome: dict[str, object] = {}

    def add(claim: str) -> None:
        try:
            outcome[claim] = journal.add_outbound(SENDER, claim, "x", T0).state.value
        except LienthongError as exc:
            outcome[claim] = type(exc)

    journal.crash_hook = hook
    commits_before = journal.commits
    first = threading.Thread(target=add, args=("c0",))
    first.start()
    _wait_for(lambda: calls == [0])
    others = [threading.Thread(target=add, args=(f"c{i}",)) for i in range(1, 5)]
    for t in others:
        t.start()
    _wait_for(lambda: journal._tx._queued == 4)
    hold.set()
    for t in [first, *others]:
        t.join(5)
    journal.crash_hook = None
    assert outcome == {"c0": "picked-up", **{f"c{i}": DiskFullError for i in range(1, 5)}}
    assert journal.commits - commits_before == 2
    assert journal.known_claims([f"c{i}" for i in range(5)]) == {"c0"}
    journal.add_outbound(SENDER, "after", "x", T0)  # and the journal goes on
