"""Recall, update, replace and take-back (13) between two agents, answered 15 / 16 by the DMS
or by policy, and recorded on both sides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.core.lifecycle import Kind

from .conftest import Node, NodeFactory, document_json, inbox_folders, timeline, until
from .fixtures import DISTRICT, STTTT, drop_file, drop_folder, metadata

DOC_ID = "000.00.13.H53,2024/11/05,412/STTTT-VP"


def _send_original(a: Node, b: Node) -> Path:
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.cycle()
    b.cycle()
    [folder] = inbox_folders(b, DISTRICT)
    assert document_json(folder)["document_id"] == DOC_ID
    return folder


def _changes(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((folder / "changes").glob("*.json"))]


def _recipient(a: Node) -> dict[str, Any]:
    data = timeline(a, item="412")
    return next(r for r in data["recipients"] if r["organ_id"] == DISTRICT)


def test_a_recall_is_recorded_on_the_delivered_document_and_answered_by_the_dms(
    make_node: NodeFactory,
) -> None:
    """The recall (type 1, the original's attachments repeated) reaches no inbox folder of its
    own: it is written into the original's changes/; the DMS answers 15 through status-out and
    A's timeline shows the change agreed."""
    a, b = make_node("a"), make_node("b")
    folder = _send_original(a, b)
    drop_folder(a.folders(STTTT).outbox, "412-recall", metadata(
        to=[DISTRICT], business={"type": "recall", "document_id": DOC_ID,
                                 "reason": "Thu hồi để sửa nơi nhận"}), files={})
    a.cycle()
    b.cycle()
    assert len(inbox_folders(b, DISTRICT)) == 1
    [change] = _changes(folder)
    assert change["change"] == "recall" and change["refers_to"] == DOC_ID
    assert change["answer"] == "manual"
    recall = [i for i in b.items(Kind.INBOUND) if i.state == "acked"]
    assert len(recall) == 2
    assert _recipient(a)["change"] == "requested"
    drop_file(b.folders(DISTRICT).status_out, "answer.json",
              json.dumps({"document_id": DOC_ID, "code": "15"}).encode())
    b.cycle()
    until(lambda: _recipient(a)["change"] == "agreed", step=a.cycle)


def test_an_update_is_delivered_and_linked_to_the_original(make_node: NodeFactory) -> None:
    """An update (type 2) is delivered as a folder of its own and recorded in the original's
    changes/; with answer_policy 'refuse' B answers 16 by itself."""
    a = make_node("a")
    b = make_node("b", extra="""
        receipts:
          answer_policy: refuse
        """)
    folder = _send_original(a, b)
    drop_folder(a.folders(STTTT).outbox, "412-update", metadata(
        to=[DISTRICT], subject="V/v kiểm thử (sửa đổi)",
        business={"type": "update", "document_id": DOC_ID}))
    a.cycle()
    b.cycle()
    folders = inbox_folders(b, DISTRICT)
    assert len(folders) == 2
    [change] = _changes(folder)
    assert change["change"] == "update" and change["delivered_as"] in {f.name for f in folders}
    codes = sorted(r.label.split()[0] for r in b.items(Kind.RECEIPT_OUT))
    assert codes == ["01", "01", "16"]
    until(lambda: _recipient(a)["change"] == "refused", step=a.cycle)


def test_a_replacement_is_delivered_and_linked(make_node: NodeFactory) -> None:
    """A replacement (type 3) is delivered and noted in the replaced document's changes/."""
    a, b = make_node("a"), make_node("b")
    folder = _send_original(a, b)
    drop_folder(a.folders(STTTT).outbox, "413-replace", metadata(
        to=[DISTRICT], number="413",
        business={"type": "replace", "document_id": DOC_ID,
                  "replaces": [{"document_id": DOC_ID}]}))
    a.cycle()
    b.cycle()
    assert len(inbox_folders(b, DISTRICT)) == 2
    [change] = _changes(folder)
    assert change["change"] == "replace"


def test_a_take_back_request_is_answered_by_policy(make_node: NodeFactory) -> None:
    """A's DMS drops a 13 for a sent document; B writes it into the document's changes/ and,
    with answer_policy 'accept', answers 15 by itself; A's timeline shows 'agreed'."""
    a = make_node("a")
    b = make_node("b", extra="""
        receipts:
          answer_policy: accept
        """)
    folder = _send_original(a, b)
    drop_file(a.folders(STTTT).status_out, "take-back.json", json.dumps(
        {"document_id": DOC_ID, "code": "13", "description": "Lấy lại để chỉnh sửa"}).encode())
    a.cycle()
    assert [r.label for r in a.items(Kind.RECEIPT_OUT)] == ["13 to 000.00.31.H53"]
    until(lambda: _changes(folder), step=b.cycle)
    [change] = _changes(folder)
    assert change["change"] == "take-back" and change["description"] == "Lấy lại để chỉnh sửa"
    until(lambda: _recipient(a)["change"] == "agreed", step=lambda: (b.cycle(), a.cycle()))


def test_a_status_for_an_unknown_document_goes_to_failed(make_node: NodeFactory) -> None:
    """A status-out file naming a DocumentId this organ never received is refused with a
    reason in failed/; nothing is queued."""
    b = make_node("b")
    drop_file(b.folders(DISTRICT).status_out, "bad.json",
              json.dumps({"document_id": "000.00.13.H53,2024/01/01,1/X", "code": "03"}).encode())
    b.scan()
    [claim] = list(b.folders(DISTRICT).failed.iterdir())
    error = json.loads((claim / "error.json").read_text())
    assert "has received no document" in error["message"]
    assert b.items(Kind.RECEIPT_OUT) == []
