"""The example packages of AXIS.md §15: parsed values, and the builder's layout against them."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from lxml import etree

from agent.core.edxml import (
    AttachmentSource,
    Business,
    BusinessDocType,
    DocumentCode,
    DocumentType,
    EdocPackage,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusHeader,
    StatusPackage,
    StatusResponseFor,
    TraceHeader,
    TraceHeaderList,
)
from tests.unit.edxml.examples import ALL, EDOC_NEW, EDOC_REVOKE, STATUS_03
from tests.unit.edxml.helpers import edoc_bytes, parse, status_bytes

CID = "3f6d2a8e-7c41-4b0e-9d2f-5a1c8e0b7d34"
DOC_ID = "000.00.13.H53,2024/11/05,412/STTTT-VP"
PDF_SHA256 = "91c677aaa2b3eacf598ddb28d9c28af59b13c0fa0659f64e58ede87018f761e8"
STTTT = Organization(
    organ_id="000.00.13.H53",
    organization_in_charge="UBND tỉnh Tây Ninh",
    organ_name="Sở Thông tin và Truyền thông tỉnh Tây Ninh",
    organ_add="Số 1 Đường Ví Dụ, Phường 2, Thành phố Tây Ninh",
    email="stttt@example.gov.vn",
    telephone="0276 3000 000",
    fax="0276 3000 001",
    website="https://stttt.example.gov.vn",
)
BEN_CAU = Organization(
    organ_id="000.00.31.H53",
    organization_in_charge="UBND tỉnh Tây Ninh",
    organ_name="UBND huyện Bến Cầu",
    organ_add="Thị trấn Bến Cầu, huyện Bến Cầu",
    email="bencau@example.gov.vn",
    telephone="0276 3000 100",
    fax="0276 3000 101",
    website="https://bencau.example.gov.vn",
)
LONG_CHU = Organization(
    organ_id="000.22.31.H53",
    organization_in_charge="UBND huyện Bến Cầu",
    organ_name="UBND xã Long Chữ",
    organ_add="Xã Long Chữ, huyện Bến Cầu",
    email="longchu@example.gov.vn",
    telephone="0276 3000 200",
    fax="0276 3000 201",
    website="https://longchu.example.gov.vn",
)
HEADER = MessageHeader(
    sender=STTTT,
    recipients=(BEN_CAU, LONG_CHU),
    document_id=DOC_ID,
    code=DocumentCode(code_number="412", code_notation="STTTT-VP"),
    promulgation_info=PromulgationInfo(place="Tây Ninh", promulgation_date=dt.date(2024, 11, 5)),
    document_type=DocumentType(type=1, type_detail=0, type_name="Công văn"),
    subject="V/v đôn đốc kết nối phần mềm quản lý văn bản với Trục liên thông văn bản quốc gia",
    content="Đề nghị các đơn vị hoàn thành kết nối và báo cáo kết quả trước ngày 20/11/2024.",
    signer_info=SignerInfo(competence="KT. GIÁM ĐỐC", position="Phó Giám đốc",
                           full_name="Nguyễn Văn A"),
    due_date=dt.date(2024, 11, 20),
    other_info=OtherInfo(
        priority=0, sphere_of_promulgation="Liên thông văn bản quốc gia", typer_notation="VP",
        promulgation_amount=1, page_amount=1, direction=False,
    ),
    steering_type=0,
    to_places=("Như trên", "Lưu: VT, VP"),
)
STAFF = StaffInfo(department="Văn phòng Sở", staff="Trần Thị B",
                  email="vanthu.stttt@example.gov.vn", mobile="0900000000")
TRACE_NEW = TraceHeaderList(
    trace_headers=(TraceHeader(organ_id="000.00.13.H53",
                               timestamp=dt.datetime(2024, 11, 5, 8, 30)),),
    business=Business(document_id=DOC_ID, business_doc_type=BusinessDocType.NEW,
                      business_doc_reason="Văn bản điện tử mới", paper=0, staff_info=STAFF),
)


def _pdf() -> bytes:
    package, sink = parse(EDOC_NEW)
    return sink.payloads[0]


def _source() -> AttachmentSource:
    return AttachmentSource.from_bytes(
        "cid:" + CID, "412-STTTT-VP.pdf", "application/pdf", _pdf(),
        description="Công văn số 412/STTTT-VP",
    )


def test_edoc_new_parses_to_the_expected_model() -> None:
    """edoc-new.edxml: every header, trace and attachment value as written in the file."""
    package, sink = parse(EDOC_NEW)
    assert isinstance(package, EdocPackage)
    assert (HEADER, TRACE_NEW) == (package.header, package.trace_list)
    attachment = package.attachments[0]
    assert (CID, "412-STTTT-VP.pdf", "application/pdf", 667, PDF_SHA256) == (
        attachment.content_id, attachment.attachment_name, attachment.content_type,
        attachment.size, attachment.sha256,
    )
    assert sink.payloads[0].startswith(b"%PDF-1.4") and sink.payloads[0].endswith(b"%%EOF\n")
    assert hashlib.sha256(sink.payloads[0]).hexdigest() == PDF_SHA256
    assert [CID] == [r.content_id for r in package.manifest]
    assert (BusinessDocType.NEW, ()) == (package.business_doc_type, package.signatures)


def test_edoc_revoke_is_a_recall_of_the_same_document() -> None:
    """edoc-revoke.edxml: type 1, same DocumentId and recipients, its reason."""
    package, _ = parse(EDOC_REVOKE)
    business = package.trace_list.business
    assert (BusinessDocType.RECALL, DOC_ID, ("000.00.31.H53", "000.22.31.H53")) == (
        package.business_doc_type, business.document_id,
        tuple(r.organ_id for r in package.header.recipients),
    )
    assert "Thu hồi văn bản điện tử: ban hành nhầm thời hạn báo cáo" == business.business_doc_reason
    assert dt.datetime(2024, 11, 5, 14, 5) == package.trace_list.trace_headers[0].timestamp


def test_status_03_parses_to_the_expected_model() -> None:
    """status-03.edxml: the district's 03 "Đã tiếp nhận" receipt, routed to the sender."""
    package, _ = parse(STATUS_03)
    expected = StatusPackage(header=StatusHeader(
        sender=BEN_CAU,
        response_for=StatusResponseFor(organ_id="000.00.13.H53", code="412/STTTT-VP",
                                       document_id=DOC_ID, promulgation_date=dt.date(2024, 11, 5)),
        staff_info=StaffInfo(department="Văn phòng HĐND và UBND huyện", staff="Lê Văn C",
                             email="vanthu.bencau@example.gov.vn", mobile="0900000001"),
        status_code="03",
        description="Đã tiếp nhận, vào sổ văn bản đến",
        timestamp=dt.datetime(2024, 11, 5, 9, 15, 20),
    ))
    assert expected == package
    assert (StatusCode.ACCEPTED, "Đã tiếp nhận") == (package.header.status,
                                                      package.header.status.vietnamese)


def _structure(data: bytes) -> list[tuple[Any, ...]]:
    """Every element in document order: namespace, local name, prefix, the namespace
    declarations it carries, its attributes and its text."""
    root = etree.fromstring(data)
    out = []
    for el in root.iter():
        parent = el.getparent()
        inherited = parent.nsmap if parent is not None else {}
        declared = sorted((k or "", v) for k, v in el.nsmap.items() if inherited.get(k) != v)
        qname = etree.QName(el)
        out.append((qname.namespace, qname.localname, el.prefix, declared,
                    sorted(el.attrib.items()), (el.text or "").strip()))
    return out


def test_built_edoc_has_the_structure_of_the_example_element_by_element() -> None:
    """Same fields as edoc-new.edxml → same elements, order, prefixes and namespace layout."""
    built, _ = edoc_bytes(HEADER, TRACE_NEW, [_source()])
    assert _structure(EDOC_NEW) == _structure(built)


def test_built_packages_are_byte_identical_to_the_examples() -> None:
    """The builder's indentation, declaration and base64 layout match the example files."""
    built_new, _ = edoc_bytes(HEADER, TRACE_NEW, [_source()])
    revoke, _ = parse(EDOC_REVOKE)
    built_revoke, _ = edoc_bytes(revoke.header, revoke.trace_list, [_source()])
    status, _ = parse(STATUS_03)
    assert (EDOC_NEW, EDOC_REVOKE, STATUS_03) == (built_new, built_revoke,
                                                  status_bytes(status.header))


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_example_survives_reserialisation_by_lxml(name: str) -> None:
    """Re-indented by another serialiser (as the axis does, §9), each example parses the same."""
    original, _ = parse(ALL[name])
    root = etree.fromstring(ALL[name])
    etree.indent(root, space="\t")
    again, _ = parse(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert original == again


def test_signature_fragment_is_the_only_difference() -> None:
    """With a signature the output is the unsigned output plus the fragment, at the offset."""
    fragment = b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>'
    plain, report = edoc_bytes(HEADER, TRACE_NEW, [_source()])
    signed, signed_report = edoc_bytes(HEADER, TRACE_NEW, [_source()], signature=fragment)
    offset = report.signature_offset
    assert signed == plain[:offset] + fragment + plain[offset:]
    assert plain[:offset].endswith(b"</edXML:TraceHeaderList>")
    assert (offset, len(signed)) == (signed_report.signature_offset, signed_report.bytes_written)
    package, _ = parse(signed)
    assert [("http://www.w3.org/2000/09/xmldsig#", "edXML/edXMLEnvelope/edXMLHeader", True)] == [
        (s.namespace, s.path, s.last_in_header) for s in package.signatures
    ]
    assert (HEADER, TRACE_NEW) == (package.header, package.trace_list)


def test_status_signature_goes_after_the_message_header() -> None:
    """In a status the fragment follows MessageHeader, the only other child of edXMLHeader."""
    fragment = b"<Signature><SignatureValue>AA==</SignatureValue></Signature>"
    plain = status_bytes()
    signed = status_bytes(signature=fragment)
    cut = plain.index(b"</edXML:MessageHeader>") + len(b"</edXML:MessageHeader>")
    assert signed == plain[:cut] + fragment + plain[cut:]
    package, _ = parse(signed)
    assert ["http://www.mic.gov.vn/TBT/QCVN_102_2016"] == [s.namespace for s in package.signatures]
