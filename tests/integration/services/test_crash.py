"""A crash at each failpoint, then a restart on the same journal and folders: every document is
delivered exactly once, the receipts arrive, and no temporary file is left behind.

In-process the crash is the ``raise`` action (``FailpointCrash``, a BaseException that unwinds
the services exactly where a kill would stop them); the services are then thrown away and built
again. tests/e2e does the same with SIGKILL on the real daemon.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.core.lifecycle import Kind
from agent.files.atomic import TEMP_PREFIX
from agent.services.failpoints import FailpointCrash, Failpoints

from .conftest import Axis, Node, NodeFactory, inbox_folders, timeline, until
from .fixtures import DISTRICT, STTTT, drop_folder, metadata

SENDER_POINTS = ["after-pickup", "after-sign", "during-upload", "after-upload-before-journal"]
RECEIVER_POINTS = ["during-inbox-write", "after-inbox-write", "after-inbox-write-before-ack",
                   "after-ack-before-journal", "after-receipt-send-before-journal"]


def _temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def _run_until_crash(node: Node) -> None:
    with pytest.raises(FailpointCrash):
        until(lambda: False, step=node.cycle, timeout=5)


@pytest.mark.parametrize("point", SENDER_POINTS + RECEIVER_POINTS)
def test_a_crash_at_each_point_loses_nothing_and_duplicates_nothing(
    make_node: NodeFactory, axis: Axis, point: str,
) -> None:
    """Crash at ``point``, restart: one inbox folder for the recipient, the receipt 01 on the
    sender's timeline, every copy the axis accepted byte-identical, no temporary file."""
    sender_side = point in SENDER_POINTS
    a = make_node("a", failpoints=Failpoints.parse(f"{point}=raise") if sender_side else None)
    b = make_node("b", failpoints=None if sender_side else Failpoints.parse(f"{point}=raise"))
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    crashed = a if sender_side else b
    if not sender_side:
        a.cycle()
    _run_until_crash(crashed)
    crashed.restart()
    until(lambda: b.items(Kind.INBOUND, "acked", "duplicate-acked")
          and not a.items(Kind.OUTBOUND, "picked-up", "validated", "signed", "uploading",
                          "retry-wait", "accepted"),
          step=lambda: (a.cycle(), b.cycle()))
    until(lambda: any(r["progress"] == "01" for r in timeline(a)["recipients"]),
          step=lambda: (b.cycle(), a.cycle()))
    assert len(inbox_folders(b, DISTRICT)) == 1
    assert len({e["sha256"] for e in axis.ledger("accepted") if e["message_type"] == "edoc"}) == 1
    assert [i.state for i in a.items(Kind.OUTBOUND)] == ["archived"]
    assert len([r for r in b.items(Kind.RECEIPT_OUT) if r.label.startswith("01")]) == 1
    for node in (a, b):
        assert _temp_files(node.root / "exchange") == []


def test_the_broken_variant_loses_a_document_when_killed_mid_upload(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """``broken:mark-sent-before-upload`` (for the reliability suite's negative test) records
    the document as accepted before uploading it: a crash during the upload loses it, which a
    ledger check must notice (A archives it, the axis never accepted it, B receives nothing)."""
    a = make_node("a", failpoints=Failpoints.parse(
        "broken:mark-sent-before-upload,during-upload=raise"))
    b = make_node("b")
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    _run_until_crash(a)
    a.restart()
    a.cycle()
    b.cycle()
    assert [i.state for i in a.items(Kind.OUTBOUND)] == ["archived"]
    assert axis.ledger("accepted") == []
    assert inbox_folders(b, DISTRICT) == []


def test_a_sent_receipt_package_left_by_a_crash_is_removed_at_restart(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """A stop between recording a receipt as sent and removing its package leaves
    ``.lienthong/status-out/receipt-<id>.edxml`` behind (found by the reliability suite's
    random kills). The restart removes it; a failed receipt's package is kept for ``retry``."""
    a, b = make_node("a"), make_node("b")
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.cycle()
    until(lambda: b.items(Kind.RECEIPT_OUT, "sent"), step=b.cycle)
    sent = b.items(Kind.RECEIPT_OUT, "sent")[0]
    work = b.folders(DISTRICT).work_status_out
    left = work / f"receipt-{sent.id}.edxml"
    kept = work / "receipt-999999.edxml"  # no such receipt: not the agent's to judge
    for path in (left, kept):
        path.write_bytes(b"<edXMLEnvelope/>")
    b.restart()
    assert not left.exists()
    assert kept.exists()
