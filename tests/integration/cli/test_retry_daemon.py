"""``retry`` with the daemon running: a document whose upload was given up is re-queued from the
command line and reaches the recipient, and its outbox item ends in sent/."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from agent.cli import main
from agent.cli._demo_setup import agencies, prepare
from agent.cli._demo_watch import document_delivered, wait_for
from agent.cli.demo import _daemons, _drop_document
from agent.core.lifecycle import Kind
from agent.journal import SqliteJournal
from agent.sandbox import OrganSpec, Registry, SandboxConfig, SandboxServer, SystemSpec
from agent.sandbox.faults import FaultRule


def _state(journal_path: Path) -> str | None:
    if not journal_path.is_file():
        return None
    journal = SqliteJournal.open(journal_path, exclusive=False)
    try:
        items = journal.list_items(Kind.OUTBOUND, limit=1)
    finally:
        journal.close()
    return items[0].state if items else None


def _reaches(journal_path: Path, state: str) -> Any:
    return lambda: True if _state(journal_path) == state else None


def _settled(journal_path: Path) -> Any:
    """The re-queued item is settled again: archived (sent) or failed (once more)."""
    return lambda: True if _state(journal_path) in ("archived", "failed") else None


def test_retry_sends_a_given_up_document_again(tmp_path: Path) -> None:
    """The axis refuses the first upload (one 5xx) and the agent, allowed one attempt, gives
    up; `retry out:1` sends the kept bytes again: B gets the document, A archives it in sent/."""
    pair = agencies(tmp_path)
    registry = Registry(systems=tuple(SystemSpec(a.system_id, a.secret) for a in pair),
                        organs=tuple(OrganSpec(a.organ, a.system_id, name=a.name) for a in pair))
    fault = FaultRule("5xx", ops=frozenset({"sendEdoc"}), times=1)
    config = SandboxConfig(data_dir=tmp_path / "axis", registry=registry, faults=(fault,))
    with SandboxServer(config) as axis:
        space = prepare(pair, axis.url, dt.datetime.now(dt.UTC))
        text = space.sender.config.read_text()
        space.sender.config.write_text(text.replace("retry:\n", "retry:\n  max_attempts: 1\n"))
        a, b = space.agencies
        with _daemons(space.agencies) as alive:
            deadline = time.monotonic() + 40
            wait_for("A starting", lambda: alive() or (a.journal.is_file() or None), deadline)
            _drop_document(space)
            wait_for("A giving up", _reaches(a.journal, "failed"), deadline)
            assert main(["retry", "out:1", "--config", str(a.config)]) == 0
            wait_for("A settling", _settled(a.journal), deadline)
            assert _state(a.journal) == "archived"
            wait_for("B receiving", document_delivered(b), deadline)
    sent = list((a.folders / "sent").iterdir())
    assert [p.name.endswith("412-STTTT-VP") for p in sent] == [True]
