"""Two agencies, two agent daemons, the sandbox in between, all real processes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from agent.core.lifecycle import Kind
from tests.integration.services.fixtures import (
    A_SYS,
    COMMUNE,
    DISTRICT,
    SECRETS,
    STTTT,
    drop_file,
    drop_folder,
    metadata,
)
from tests.support.axis_reference_client import AxisReferenceClient

from .conftest import AgentFactory
from .harness import AgentProcess, SandboxProcess, wait_for

DATA = Path(__file__).parent / "data"
DOC_ID = "000.00.13.H53,2024/11/05,412/STTTT-VP"


def timeline(agent: AgentProcess, item: str = "412") -> dict[str, Any] | None:
    for path in agent.entries(STTTT, "receipts"):
        data: dict[str, Any] = json.loads(path.read_text())
        if data["item"] == item:
            return data
    return None


def recipient(agent: AgentProcess, organ: str, item: str = "412") -> dict[str, Any]:
    data = timeline(agent, item)
    if data is None:
        return {}
    return next((r for r in data["recipients"] if r["organ_id"] == organ), {})


def document(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "document.json").read_text())
    return data


def test_a_document_crosses_with_verified_signatures_and_receipts_come_back(
    agents: AgentFactory,
) -> None:
    """A's outbox -> B's inboxes (both organs) with a valid PDF organisation signature; B's
    automatic 01 and the DMS's 03 and 06 reach A's receipts timeline; one summary line per
    finished document on each side."""
    a, b = agents("a").start(), agents("b").start()
    drop_folder(a.folder(STTTT, "outbox"), "412", metadata())
    for organ in (DISTRICT, COMMUNE):
        [folder] = wait_for(lambda o=organ: b.entries(o, "inbox"), what=f"delivery to {organ}")
        doc = document(folder)
        assert doc["document_id"] == DOC_ID
        assert [s["status"] for s in doc["signatures"] if s["kind"] == "pdf"] == ["valid"]
        assert "Sở Thông tin" in [s for s in doc["signatures"] if s["kind"] == "pdf"][0][
            "signer_subject"]
    for code in ("03", "06"):
        drop_file(b.folder(DISTRICT, "status-out"), f"{code}.json", json.dumps(
            {"document_id": DOC_ID, "code": code, "staff": {"name": "Lê Văn C"}}).encode())
    wait_for(lambda: sorted(r["code"] for r in recipient(a, DISTRICT).get("receipts", []))
             == ["01", "03", "06"], what="01, 03, 06 on A's timeline")
    wait_for(lambda: recipient(a, COMMUNE).get("progress") == "01", what="01 from the commune")
    assert recipient(a, DISTRICT)["progress"] == "06"
    sent = [line for line in a.log_lines() if line["event"] == "document finished"]
    assert len(sent) == 1 and sent[0]["outcome"] == "sent" and sent[0]["axis_doc_id"]
    assert sent[0]["document_id"] == DOC_ID and sent[0]["organ"] == STTTT
    received = [line for line in b.log_lines() if line["event"] == "document finished"]
    assert sorted(line["organ"] for line in received) == [DISTRICT, COMMUNE]


def test_recall_and_update_reach_the_delivered_document(agents: AgentFactory) -> None:
    """A recalls, then updates, a document B delivered: both are recorded in the original's
    changes/; B's DMS agrees to the recall (15) and A's timeline says so; the update is
    delivered as its own folder."""
    a, b = agents("a").start(), agents("b").start()
    drop_folder(a.folder(STTTT, "outbox"), "412", metadata(to=[DISTRICT]))
    [original] = wait_for(lambda: b.entries(DISTRICT, "inbox"), what="the original")
    drop_folder(a.folder(STTTT, "outbox"), "412-recall", metadata(
        to=[DISTRICT], business={"type": "recall", "document_id": DOC_ID}), files={})
    wait_for(lambda: list((original / "changes").glob("*.json")), what="the recall recorded")
    drop_file(b.folder(DISTRICT, "status-out"), "15.json",
              json.dumps({"document_id": DOC_ID, "code": "15"}).encode())
    wait_for(lambda: recipient(a, DISTRICT).get("change") == "agreed", what="15 at A")
    drop_folder(a.folder(STTTT, "outbox"), "412-update", metadata(
        to=[DISTRICT], subject="V/v kiểm thử (cập nhật)",
        business={"type": "update", "document_id": DOC_ID}))
    wait_for(lambda: len(b.entries(DISTRICT, "inbox")) == 2, what="the update delivered")
    wait_for(lambda: len(list((original / "changes").glob("*.json"))) == 2, what="update noted")
    kinds = sorted(json.loads(p.read_text())["change"]
                   for p in (original / "changes").glob("*.json"))
    assert kinds == ["recall", "update"]


def test_a_duplicate_delivery_is_not_delivered_twice(
    agents: AgentFactory, sandbox: SandboxProcess,
) -> None:
    """The axis keeps A's upload but drops its answer (lost ack): A sends the same bytes again,
    the axis delivers two copies, B delivers one; then the axis lists an item again (an
    acknowledged one, or a pending row twice) and it is only acknowledged, never delivered
    again."""
    sandbox.faults({"kind": "drop", "ops": ["sendEdoc"], "times": 1})
    a, b = agents("a").start(), agents("b").start()
    drop_folder(a.folder(STTTT, "outbox"), "412", metadata(to=[DISTRICT]))
    wait_for(lambda: len(sandbox.ledger("acknowledged", message_type="edoc")) == 2,
             what="both copies acknowledged")
    accepted = sandbox.ledger("accepted", message_type="edoc")
    assert len(accepted) == 2 and len({e["sha256"] for e in accepted}) == 1
    [sent] = a.entries(STTTT, "sent")
    assert accepted[0]["sha256"] == hashlib.sha256(
        (sent / "package.edxml").read_bytes()).hexdigest()
    sandbox.faults({"kind": "duplicate", "ops": ["getReceivedEdocList"]})
    repeated = wait_for(lambda: sandbox.ledger("duplicated"), what="a repeated listing")[0]
    sandbox.faults()
    before = [e for e in sandbox.ledger("acknowledged", doc_id=repeated["doc_id"])
              if e["seq"] < repeated["seq"]]  # none if the fault repeated a pending row
    wait_for(lambda: len(sandbox.ledger("acknowledged", doc_id=repeated["doc_id"]))
             > len(before), what="the repeated item acknowledged (again)")
    assert len(b.entries(DISTRICT, "inbox")) == 1
    with b.journal() as journal:
        states = sorted(i.state for i in journal.list_items(Kind.INBOUND))
    assert states == ["acked", "duplicate-acked"]


def test_a_package_sent_by_another_client_is_received(
    agents: AgentFactory, sandbox: SandboxProcess,
) -> None:
    """AXIS.md's example, posted by the independent reference client, is delivered to both
    of B's organs like any other document, and answered with 01."""
    b = agents("b").start()
    client = AxisReferenceClient(sandbox.url, A_SYS, SECRETS[A_SYS])
    answer = client.send_edoc((DATA / "edoc-new.edxml").read_bytes(), from_=STTTT)
    assert answer["status"] == "OK"
    for organ in (DISTRICT, COMMUNE):
        [folder] = wait_for(lambda o=organ: b.entries(o, "inbox"), what=f"delivery to {organ}")
        doc = document(folder)
        assert doc["code"] == "412/STTTT-VP" and doc["sender"] == STTTT
        assert (folder / "attachments" / "412-STTTT-VP.pdf").read_bytes().startswith(b"%PDF")
    wait_for(lambda: len(sandbox.ledger("accepted", message_type="status")) == 2,
             what="two 01 receipts")
