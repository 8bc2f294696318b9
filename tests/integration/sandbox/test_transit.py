"""What a recipient gets: the envelope rewritten as the national axis does, or the bytes sent."""

from __future__ import annotations

import base64
import hashlib
import os
import re

from lxml import etree

from tests.integration.sandbox.conftest import (
    DISTRICT,
    STTTT,
    TN,
    Running,
    StartSandbox,
    edoc,
    example,
    sha256,
    status,
)

Q = "{http://www.mic.gov.vn/TBT/QCVN_102_2016}"
DSIG = '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod' \
       ' Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/></SignedInfo>' \
       '<SignatureValue>AAAA</SignatureValue></Signature>'


def scrambled_edoc() -> bytes:
    """The example with DocumentId after ToPlaces (VNPT's order), no Direction, a Signature."""
    text = edoc(recipients=(DISTRICT,)).decode()
    doc_id = re.search(r"\s*<edXML:DocumentId>[^<]*</edXML:DocumentId>", text)
    assert doc_id is not None
    text = text.replace(doc_id.group(0), "", 1)
    text = text.replace("</edXML:ToPlaces>", "</edXML:ToPlaces>" + doc_id.group(0), 1)
    text = text.replace("<edXML:Direction>false</edXML:Direction>", "")
    return text.replace("</edXML:TraceHeaderList>", "</edXML:TraceHeaderList>" + DSIG).encode()


def attachment_section(package: bytes) -> bytes:
    return package[package.index(b"<AttachmentEncoded>"):]


def deliver(running: Running, package: bytes, messagetype: str = "edoc",
            sender: str = STTTT) -> bytes:
    tn = running.client(TN)
    assert "OK" == tn.send_edoc(package, from_=sender, messagetype=messagetype)["status"]
    item = tn.get_received_edoc_list(messagetype)["data"][-1]
    return tn.get_edoc_bytes(item["docId"])


def test_rebuild_rewrites_the_header_like_the_axis(axis: Running) -> None:
    """Canonical order; empty ResponseFor and Direction=false added; Signature in QCVN; indented."""
    delivered = deliver(axis, scrambled_edoc())
    header = etree.fromstring(delivered).find(f"{Q}edXMLEnvelope/{Q}edXMLHeader")
    message = header.find(f"{Q}MessageHeader")
    names = [etree.QName(c).localname for c in message]
    assert ["From", "To", "DocumentId", "Code", "PromulgationInfo", "DocumentType", "Subject",
            "Content", "SignerInfo", "DueDate", "OtherInfo", "ResponseFor", "SteeringType",
            "ToPlaces"] == names
    response_for = message.find(f"{Q}ResponseFor")
    assert (0, "false") == (len(response_for), message.findtext(f"{Q}OtherInfo/{Q}Direction"))
    assert ["MessageHeader", "TraceHeaderList", "Signature"] == [
        etree.QName(c).localname for c in header]
    assert f"{Q}Signature" == header[-1].tag and b"\n      <Signature>\n" in delivered


def test_rebuild_appends_a_trace_header(start_sandbox: StartSandbox) -> None:
    """One more TraceHeader, before Bussiness, with the configured OrganId and a timestamp."""
    running = start_sandbox(trace_organ_id="001.00.20.TT2")
    delivered = deliver(running, edoc(recipients=(DISTRICT,)))
    traces = etree.fromstring(delivered).find(f"{Q}edXMLEnvelope/{Q}edXMLHeader/{Q}TraceHeaderList")
    names = [etree.QName(c).localname for c in traces]
    last = traces.findall(f"{Q}TraceHeader")[-1]
    assert ["TraceHeader", "TraceHeader", "Bussiness"] == names
    assert "001.00.20.TT2" == last.findtext(f"{Q}OrganId")
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}", last.findtext(f"{Q}Timestamp"))


def test_rebuild_passes_attachment_bytes_unchanged(axis: Running) -> None:
    """The AttachmentEncoded section is byte-identical; the decoded PDF has the same SHA-256."""
    sent = scrambled_edoc()
    delivered = deliver(axis, sent)
    assert attachment_section(sent) == attachment_section(delivered)
    path = f"{Q}AttachmentEncoded/{Q}Attachment/{Q}ContentTransferEncoded"
    payload = etree.fromstring(delivered).findtext(path)
    original = etree.fromstring(sent).findtext(path)
    digests = {hashlib.sha256(base64.b64decode(p or "")).hexdigest() for p in (payload, original)}
    assert 1 == len(digests) and payload
    assert delivered != sent


def test_ledger_records_both_digests(axis: Running) -> None:
    """accepted carries the SHA-256 of the bytes sent; delivered, that of the bytes fetched."""
    sent = scrambled_edoc()
    delivered = deliver(axis, sent)
    accepted, fetched = axis.ledger("accepted")[0], axis.ledger("delivered")[0]
    assert (sha256(sent), sha256(delivered)) == (accepted["sha256"], fetched["sha256"])
    assert (STTTT, DISTRICT, "000.00.13.H53,2024/11/05,412/STTTT-VP") == (
        accepted["sender"], accepted["recipient"], accepted["document_id"])


def test_preserve_delivers_the_bytes_sent(start_sandbox: StartSandbox) -> None:
    """--transit preserve: getEdoc returns exactly the file posted."""
    running = start_sandbox(transit="preserve")
    sent = scrambled_edoc()
    assert sent == deliver(running, sent)


def test_status_packages_are_reordered_but_not_traced(axis: Running) -> None:
    """A status keeps its fields (canonical order of §4.1) and gets no TraceHeaderList."""
    text = status(sender=DISTRICT, to=STTTT).decode()
    staff = re.search(r"\s*<edXML:StaffInfo>.*?</edXML:StaffInfo>", text, flags=re.S)
    assert staff is not None
    moved = text.replace(staff.group(0), "").replace(
        "</edXML:Timestamp>", "</edXML:Timestamp>" + staff.group(0)).encode()
    delivered = deliver(axis, moved, messagetype="status", sender=DISTRICT)
    header = etree.fromstring(delivered).find(f"{Q}edXMLEnvelope/{Q}edXMLHeader")
    assert ["MessageHeader"] == [etree.QName(c).localname for c in header]
    assert ["From", "ResponseFor", "StaffInfo", "StatusCode", "Description", "Timestamp"] == [
        etree.QName(c).localname for c in header[0]]


def test_large_package_streams_through_disk(start_sandbox: StartSandbox) -> None:
    """A 6 MB attachment over a 1 MB memory limit: spooled, scanned, rebuilt, streamed intact."""
    running = start_sandbox(memory_limit=1 << 20)
    blob = base64.b64encode(os.urandom(6 << 20))
    text = edoc(recipients=(DISTRICT,)).decode()
    start = text.index("<edXML:ContentTransferEncoded")
    start = text.index(">", start) + 1
    end = text.index("</edXML:ContentTransferEncoded>")
    sent = text[:start].encode() + blob + text[end:].encode()
    delivered = deliver(running, sent)
    assert attachment_section(sent) == attachment_section(delivered)
    assert running.ledger("accepted")[0]["sha256"] == sha256(sent)


def test_base64_body_is_stored_decoded(start_sandbox: StartSandbox) -> None:
    """The Quảng Nam LGSP posts base64 text; preserve mode delivers the decoded package."""
    running = start_sandbox(transit="preserve")
    tn = running.client(TN)
    sent = example("edoc-new.edxml")
    assert "OK" == tn.send_edoc(sent, from_=STTTT, base64_body=True)["status"]
    item = tn.get_received_edoc_list()["data"][0]
    assert sent == tn.get_edoc_bytes(item["docId"])
