"""SIGKILL at every crash point of issue 4, then a restart: every document delivered exactly once,
every retry byte-identical, every automatic 01 applied once, no temporary file left.

The daemon runs with ``LIENTHONG_FAILPOINTS=<point>=kill@2``: the second time it reaches the point
it sends itself SIGKILL (the first document passes untouched, so the crash lands with work in
flight). The test then restarts it without failpoints and checks the folders, the sandbox ledger
and both journals.
"""

from __future__ import annotations

import json
import signal
from collections import Counter

import pytest

from agent.core.lifecycle import MACHINES, Kind
from tests.integration.services.fixtures import DISTRICT, STTTT, drop_folder, metadata

from .conftest import AgentFactory
from .harness import AgentProcess, SandboxProcess, wait_for

POINTS = [
    ("a", "after-pickup"), ("a", "after-sign"), ("a", "during-upload"),
    ("a", "after-upload-before-journal"),
    ("b", "during-inbox-write"), ("b", "after-inbox-write"),
    ("b", "after-inbox-write-before-ack"), ("b", "after-ack-before-journal"),
    ("b", "after-receipt-send-before-journal"),
]
NUMBERS = ("412", "413", "414")


def _unsettled(agent: AgentProcess) -> int:
    with agent.journal() as journal:
        return sum(len(journal.list_items(kind, states=[s.value for s in MACHINES[kind].steps]))
                   for kind in Kind)


def _receipts(agent: AgentProcess) -> dict[str, list[str]]:
    out = {}
    for path in agent.entries(STTTT, "receipts"):
        data = json.loads(path.read_text())
        [district] = [r for r in data["recipients"] if r["organ_id"] == DISTRICT]
        out[data["item"]] = [r["code"] for r in district["receipts"]]
    return out


@pytest.mark.parametrize("side,point", POINTS, ids=[p for _, p in POINTS])
def test_sigkill_at_each_point_then_restart_delivers_exactly_once(
    agents: AgentFactory, sandbox: SandboxProcess, side: str, point: str,
) -> None:
    """Three documents A -> B; the daemon on ``side`` is killed at ``point``; after a restart
    B's inbox holds each document once, the ledger shows byte-identical copies only, A's
    timelines show exactly one 01 each, both journals are settled, no temporary file remains."""
    a, b = agents("a"), agents("b")
    victim, other = (a, b) if side == "a" else (b, a)
    other.start()
    victim.start(failpoints=f"{point}=kill@2")
    for number in NUMBERS:
        drop_folder(a.folder(STTTT, "outbox"), number, metadata(to=[DISTRICT], number=number))
    assert victim.wait_exit(30) == -signal.SIGKILL
    assert any("TEST FAILPOINTS ARE ACTIVE" in line["event"] for line in victim.log_lines())
    victim.start()

    wait_for(lambda: len(b.entries(DISTRICT, "inbox")) == len(NUMBERS), 30, "3 deliveries")
    wait_for(lambda: _receipts(a) == {n: ["01"] for n in NUMBERS}, 30, "one 01 per document")
    wait_for(lambda: _unsettled(a) == 0 and _unsettled(b) == 0, 30, "settled journals")

    accepted = sandbox.ledger("accepted", message_type="edoc")
    by_document = {e["document_id"]: {x["sha256"] for x in accepted
                                      if x["document_id"] == e["document_id"]}
                   for e in accepted}
    assert len(by_document) == len(NUMBERS)
    assert all(len(shas) == 1 for shas in by_document.values()), "a retry changed the bytes"
    inbox_ids = Counter(json.loads((f / "document.json").read_text())["document_id"]
                        for f in b.entries(DISTRICT, "inbox"))
    assert set(inbox_ids.values()) == {1}
    with a.journal() as journal:
        assert {i.state for i in journal.list_items(Kind.OUTBOUND)} == {"archived"}
    with b.journal() as journal:
        states = Counter(i.state for i in journal.list_items(Kind.INBOUND))
    assert states["acked"] == len(NUMBERS) and set(states) <= {"acked", "duplicate-acked"}
    assert a.temp_files() == [] and b.temp_files() == []
    assert len(a.entries(STTTT, "sent")) == len(NUMBERS)
