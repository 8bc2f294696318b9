"""Bad inputs end in failed/ (outbound) or quarantine/ (inbound), each with an error file that
says what was wrong and how to fix it; a hostile or misrouted package is acknowledged as failed
and never delivered."""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from typing import Any

import pytest

from agent.core.lifecycle import Kind
from tests.support.axis_reference_client import AxisReferenceClient
from tests.unit.edxml.examples import ALL

from .conftest import Axis, Node, NodeFactory, document_json, inbox_folders, until
from .fixtures import (
    A_SYS,
    B_SYS,
    DISTRICT,
    SECRETS,
    STTTT,
    UNKNOWN,
    Pki,
    drop_file,
    drop_folder,
    metadata,
    pdf,
)


def _failed(node: Node) -> dict[str, Any]:
    node.scan()
    node.drain()
    [claim] = list(node.folders(STTTT).failed.iterdir())
    assert (claim / "error.txt").read_text().strip()
    error: dict[str, Any] = json.loads((claim / "error.json").read_text())
    assert error["hint"]
    return error


def test_malformed_metadata_is_refused_with_every_problem(make_node: NodeFactory) -> None:
    """Missing required keys and a misspelt key: every problem listed with its place."""
    a = make_node("a")
    drop_folder(a.folders(STTTT).outbox, "bad", {"to": [DISTRICT], "numbr": "412"})
    error = _failed(a)
    problems = "\n".join(error["problems"])
    assert "At 'number': required" in problems and "did you mean 'number'" in problems


def test_metadata_that_is_not_json_is_refused(make_node: NodeFactory) -> None:
    """A metadata file that does not parse is refused with the line and column."""
    a = make_node("a")
    drop_folder(a.folders(STTTT).outbox, "bad", "{not json")
    error = _failed(a)
    assert "line 1" in "\n".join(error["problems"])


def test_an_unknown_recipient_is_refused(make_node: NodeFactory) -> None:
    """A recipient missing from the synchronised axis directory is named in the error."""
    a = make_node("a")
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT, UNKNOWN]))
    error = _failed(a)
    assert UNKNOWN in error["message"] and error["problems"]


def test_a_missing_attachment_is_refused(make_node: NodeFactory) -> None:
    """An attachment listed in the metadata but absent from the folder."""
    a = make_node("a")
    meta = metadata(to=[DISTRICT], attachments=[{"file": "412.pdf"}, {"file": "phu-luc.pdf"}])
    drop_folder(a.folders(STTTT).outbox, "412", meta, files={"412.pdf": pdf()})
    error = _failed(a)
    assert "phu-luc.pdf" in "\n".join(error["problems"])


def test_a_hostile_ready_package_is_refused(make_node: NodeFactory) -> None:
    """A ready package with a DOCTYPE (entity expansion) is refused before anything is sent."""
    a = make_node("a")
    hostile = ALL["edoc-new.edxml"].replace(
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>", 1)
    assert b"DOCTYPE" in hostile
    drop_file(a.folders(STTTT).outbox, "hostile.edxml", hostile)
    error = _failed(a)
    assert error["code"].startswith("xml.")


def test_something_that_is_no_document_is_refused(make_node: NodeFactory) -> None:
    """A lone .docx is neither a package nor a document folder."""
    a = make_node("a")
    drop_file(a.folders(STTTT).outbox, "cong-van.docx", b"PK\x03\x04")
    assert "neither an edXML package nor a document folder" in _failed(a)["message"]


def test_a_sender_naming_another_organ_is_refused(make_node: NodeFactory) -> None:
    """In the per-organ layout, 'from' must be the folder's organ."""
    a = make_node("a")
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT], **{"from": DISTRICT}))
    assert "cannot send from here" in _failed(a)["message"]


def _quarantined(node: Node, organ: str = DISTRICT) -> dict[str, Any]:
    until(lambda: list(node.folders(organ).quarantine.iterdir()), step=node.cycle)
    [folder] = list(node.folders(organ).quarantine.iterdir())
    error: dict[str, Any] = json.loads((folder / "error.json").read_text())
    assert (folder / "package.edxml").is_file() and error["hint"]
    return error


def test_an_untrusted_signer_is_quarantined_by_policy(
    make_node: NodeFactory, axis: Axis, pki: Pki,
) -> None:
    """A signs with a certificate from an unknown CA; B (on_failure: quarantine) refuses the
    document, acknowledges it as failed and delivers nothing."""
    a = make_node("a", key=pki.rogue_key, chain=pki.rogue_chain)
    b = make_node("b", extra="""
        verification:
          on_failure: quarantine
        """)
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.cycle()
    error = _quarantined(b)
    assert "untrusted" in error["message"]
    assert inbox_folders(b, DISTRICT) == []
    assert [e["detail"] for e in axis.ledger("acknowledged")] == ["fail"]


def test_an_untrusted_signer_is_reported_by_default(make_node: NodeFactory, pki: Pki) -> None:
    """With the default policy the document is delivered and document.json says 'untrusted'."""
    a = make_node("a", key=pki.rogue_key, chain=pki.rogue_chain)
    b = make_node("b")
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.cycle()
    b.cycle()
    [folder] = inbox_folders(b, DISTRICT)
    doc = document_json(folder)
    assert [s["status"] for s in doc["signatures"] if s["kind"] == "pdf"] == ["untrusted"]
    assert doc["signatures_ok"] is False


def _post(axis: Axis, package: bytes) -> None:
    client = AxisReferenceClient(axis.url, A_SYS, SECRETS[A_SYS], http=axis.http)
    answer = client.send_edoc(package, from_=STTTT)
    assert answer["status"] == "OK", answer


def _with_attachment(name: str, payload: bytes, content_type: str = "application/pdf") -> bytes:
    text = ALL["edoc-new.edxml"]
    text = text.replace(b"412-STTTT-VP.pdf", name.encode())
    encoded = base64.b64encode(payload)
    return re.sub(rb"(<(?:edXML:)?ContentTransferEncoded[^>]*>)[^<]*(<)",
                  lambda m: m.group(1) + encoded + m.group(2), text, count=1) \
        .replace(b"<ContentType>application/pdf", b"<ContentType>" + content_type.encode())


@pytest.mark.parametrize("name,payload,code", [
    ("../../../etc/cron.d/evil", b"%PDF-1.4", "attachment.unsafe-name"),
    ("bomb.zip", None, "attachment.zip-bomb"),
], ids=["traversal", "zip-bomb"])
def test_a_hostile_attachment_is_quarantined(
    make_node: NodeFactory, axis: Axis, name: str, payload: bytes | None, code: str,
) -> None:
    """A package posted by another client with a path-traversal name or a ZIP bomb reaches B:
    quarantined with the class of the attack, acknowledged as failed, nothing in the inbox."""
    b = make_node("b")
    if payload is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("9f1e.pdf", b"\0" * (50 << 20))
        payload = out.getvalue()
    _post(axis, _with_attachment(name, payload))
    error = _quarantined(b)
    assert error["code"] == code
    assert inbox_folders(b, DISTRICT) == []


def test_a_package_from_another_client_is_received_like_any_other(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """AXIS.md's example package, posted by the independent reference client, is delivered to
    both of B's organs; its unsigned PDF is reported 'unsigned'; 01 is sent back."""
    b = make_node("b")
    _post(axis, ALL["edoc-new.edxml"])
    until(lambda: len(b.items(Kind.INBOUND, "acked")) == 2, step=b.cycle)
    for organ in (DISTRICT, "000.22.31.H53"):
        [folder] = inbox_folders(b, organ)
        doc = document_json(folder)
        assert doc["subject"].startswith("V/v") and doc["code"] == "412/STTTT-VP"
        assert [s["status"] for s in doc["signatures"]] == ["unsigned", "unsigned"]
    assert len(b.items(Kind.RECEIPT_OUT)) == 2


def test_an_item_for_an_organ_this_agent_does_not_serve_is_quarantined(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """The axis lists an item for an organ registered under B's system but missing from B's
    configuration: it is refused with a reason naming the organ."""
    stray = "000.29.31.H53"
    axis.admin("POST", "/organs", json={"code": stray, "system": B_SYS, "name": "UBND xã mới"})
    b = make_node("b")
    _post(axis, ALL["edoc-new.edxml"].replace(b"000.22.31.H53", stray.encode()))
    until(lambda: len(b.items(Kind.INBOUND, "acked", "rejected")) == 2, step=b.cycle)
    [folder] = list(b.folders(DISTRICT).quarantine.iterdir())
    assert stray in json.loads((folder / "error.json").read_text())["message"]
    assert len(inbox_folders(b, DISTRICT)) == 1



def test_a_document_breaking_the_strictness_rules_is_not_sent(make_node: NodeFactory) -> None:
    """validation.strictness 'standard' (the default) refuses DocumentType/Type 3 before
    anything leaves; the rule broken is named."""
    a = make_node("a")
    drop_folder(a.folders(STTTT).outbox, "412", metadata(
        to=[DISTRICT], document_type={"name": "Công văn", "type": 3}))
    error = _failed(a)
    assert "DocumentType/Type" in "\n".join(error["problems"])


@pytest.mark.parametrize("strictness,delivered", [("standard", False), ("lenient", True)])
def test_a_received_package_without_subject_follows_the_strictness(
    make_node: NodeFactory, axis: Axis, strictness: str, delivered: bool,
) -> None:
    """A package with an empty trích yếu is quarantined at 'standard' and delivered at
    'lenient'."""
    b = make_node("b", extra=f"""
        validation:
          strictness: {strictness}
        """)
    package = re.sub(rb"<edXML:Subject>[^<]*</edXML:Subject>", b"<edXML:Subject></edXML:Subject>",
                     ALL["edoc-new.edxml"])
    _post(axis, package)
    until(lambda: len(b.items(Kind.INBOUND, "acked", "rejected")) == 2, step=b.cycle)
    assert bool(inbox_folders(b, DISTRICT)) is delivered
    if not delivered:
        [folder] = list(b.folders(DISTRICT).quarantine.iterdir())
        assert "Subject" in json.loads((folder / "error.json").read_text())["message"]
