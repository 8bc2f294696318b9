"""The main flows between two agents through the sandbox: out, delivered, receipts back."""

from __future__ import annotations

import hashlib
import json

from agent.core.lifecycle import Kind
from agent.files.inbox import verify_delivery

from .conftest import Axis, NodeFactory, document_json, inbox_folders, timeline, until
from .fixtures import COMMUNE, DISTRICT, STTTT, drop_file, drop_folder, metadata


def test_a_document_goes_from_outbox_to_both_inboxes_with_verified_signatures(
    make_node: NodeFactory,
) -> None:
    """A signs (PDF + XML) and sends; B (an LGSP with two organs) delivers one folder per organ
    with the PDF organisation signature valid against the trust anchor, SHA256SUMS intact, and
    acknowledges; A archives the item in sent/ with its package."""
    a, b = make_node("a"), make_node("b")
    drop_folder(a.folders(STTTT).outbox, "412-STTTT-VP", metadata())
    a.scan()
    a.drain()
    sent = list(a.folders(STTTT).sent.iterdir())
    assert len(sent) == 1 and (sent[0] / "package.edxml").is_file()
    assert list(a.folders(STTTT).outbox.iterdir()) == []
    b.poll()
    b.drain()
    for organ in (DISTRICT, COMMUNE):
        [folder] = inbox_folders(b, organ)
        assert verify_delivery(folder) == []
        doc = document_json(folder)
        assert doc["organ_id"] == organ and doc["sender"] == STTTT
        pdfs = [s for s in doc["signatures"] if s["kind"] == "pdf"]
        assert [s["status"] for s in pdfs] == ["valid"]
        xml = [s for s in doc["signatures"] if s["kind"] == "xml"]
        assert [s["status"] for s in xml] == ["altered-in-transit"]
        assert (folder / "attachments" / "412-STTTT-VP.pdf").is_file()
        assert doc["labels"]["document_type"] == "Văn bản hành chính"
        assert doc["validation"] == []
    assert {i.state for i in b.items(Kind.INBOUND)} == {"acked"}


def test_automatic_01_and_dms_receipts_reach_the_senders_timeline(make_node: NodeFactory) -> None:
    """B sends 01 by itself after delivery; the DMS drops 03 and 06 for the district; A's
    receipts/<claim>.json shows them per recipient with progress 06 for the district."""
    a, b = make_node("a"), make_node("b")
    drop_folder(a.folders(STTTT).outbox, "412-STTTT-VP", metadata())
    a.cycle()
    b.cycle()
    [folder] = inbox_folders(b, DISTRICT)
    document_id = document_json(folder)["document_id"]
    for code in ("03", "06"):
        drop_file(b.folders(DISTRICT).status_out, f"status-{code}.json", json.dumps(
            {"document_id": document_id, "code": code, "description": f"mã {code}",
             "staff": {"name": "Lê Văn C"}}).encode())
    b.cycle()

    def progressed() -> bool:
        data = timeline(a)
        by_organ = {r["organ_id"]: r for r in data["recipients"]}
        return by_organ[DISTRICT]["progress"] == "06" and by_organ[COMMUNE]["progress"] == "01"

    until(progressed, step=a.cycle)
    data = timeline(a)
    district = next(r for r in data["recipients"] if r["organ_id"] == DISTRICT)
    assert [r["code"] for r in district["receipts"]] == ["01", "03", "06"]
    assert district["delivery"] == "delivered"
    assert district["receipts"][1]["staff"] == {"name": "Lê Văn C"}
    assert data["state"] == "archived" and data["axis_doc_id"]
    sent_status = list(b.folders(DISTRICT).sent.iterdir())
    assert len(sent_status) == 2


def test_the_bytes_sent_are_the_kept_package(make_node: NodeFactory, axis: Axis) -> None:
    """The sandbox ledger's sha256 of the accepted package equals the SHA-256 of
    sent/<claim>/package.edxml: what was kept is what was sent."""
    a = make_node("a")
    drop_folder(a.folders(STTTT).outbox, "412-STTTT-VP", metadata(to=[DISTRICT]))
    a.scan()
    a.drain()
    [claim] = list(a.folders(STTTT).sent.iterdir())
    digest = hashlib.sha256((claim / "package.edxml").read_bytes()).hexdigest()
    accepted = axis.ledger("accepted")
    assert [e["sha256"] for e in accepted] == [digest]


def test_a_ready_package_is_sent_as_it_is_plus_an_xml_signature(
    make_node: NodeFactory,
) -> None:
    """A ready .edxml package in the outbox is sent (XML-signed) and delivered."""
    a, b = make_node("a"), make_node("b")
    drop_folder(a.folders(STTTT).outbox, "first", metadata(to=[DISTRICT]))
    a.scan()
    a.drain()
    [claim] = list(a.folders(STTTT).sent.iterdir())
    package = (claim / "package.edxml").read_bytes()
    unsigned = package.split(b"<Signature", 1)[0] + package.split(b"</Signature>", 1)[1]
    unsigned = unsigned.replace(b"412", b"413")
    drop_file(a.folders(STTTT).outbox, "ready.edxml", unsigned)
    a.scan()
    a.drain()
    assert len(list(a.folders(STTTT).sent.iterdir())) == 2
    b.poll()
    b.drain()
    assert len(inbox_folders(b, DISTRICT)) == 2
