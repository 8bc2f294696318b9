"""From a document folder to a real edXML package: the contract's example, mapped to the package
model, built by the edXML builder and parsed back, keeps every value and every attachment byte."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from pathlib import Path

from agent.core.edxml.builder import build_edoc, build_status
from agent.core.edxml.model import BusinessDocType, Organization, StatusResponseFor
from agent.core.edxml.parser import parse_edoc, parse_status
from agent.core.edxml.sinks import MemorySink
from agent.files.inbox import (
    inbox_delivery,
    inbox_folder_name,
    read_sums,
    spool_package,
    verify_delivery,
)
from agent.files.layout import ExchangeLayout
from agent.files.mapping import (
    attachment_sources,
    message_header,
    staff_fields,
    status_header,
    trace_list,
)
from agent.files.metadata import load_document_folder, load_status_update

from .test_metadata import example

SENDER = Organization(organ_id="000.00.13.H53", organ_name="Sở Thông tin và Truyền thông")
RECIPIENTS = [Organization(organ_id="000.00.31.H53", organ_name="UBND huyện Bến Cầu"),
              Organization(organ_id="000.22.31.H53", organ_name="UBND xã Long Chữ")]
SENT_AT = dt.datetime(2024, 11, 5, 8, 30)  # Vietnam local time, as on the wire


def _folder(tmp_path: Path, name: str, text: str, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    for file, data in files.items():
        (folder / file).write_bytes(data)
    return folder


def test_the_contract_example_becomes_a_package_that_parses_back(tmp_path: Path) -> None:
    """Header values, the Bussiness block and both attachments survive build and parse."""
    files = {"412-STTTT-VP.pdf": b"%PDF-1.4 signed", "phu-luc.pdf": b"%PDF-1.4 annex"}
    request = load_document_folder(_folder(tmp_path, "metadata.yaml", example("metadata.yaml"),
                                           files))
    ids = (f"cid-{n}" for n in itertools.count())
    out = io.BytesIO()
    build_edoc(out, message_header(request, SENDER, RECIPIENTS),
               trace_list(request, SENDER.organ_id, SENT_AT),
               attachment_sources(request, lambda: next(ids)))
    sink = MemorySink()
    package = parse_edoc(io.BytesIO(out.getvalue()), sink)
    header = package.header
    assert header.document_id == "000.00.13.H53,2024/11/05,412/STTTT-VP"
    assert [r.organ_id for r in header.recipients] == ["000.00.31.H53", "000.22.31.H53"]
    assert header.code is not None and header.code.full == "412/STTTT-VP"
    assert header.subject == request.metadata.subject
    assert header.signer_info is not None and header.signer_info.competence == "KT. GIÁM ĐỐC"
    assert header.due_date == dt.date(2024, 11, 20)
    assert header.to_places == ("Như trên", "Lưu: VT, VP")
    assert package.trace_list is not None and package.trace_list.business is not None
    business = package.trace_list.business
    assert business.business_doc_type is BusinessDocType.NEW
    assert business.staff_info is not None and business.staff_info.staff == "Trần Thị B"
    assert package.trace_list.trace_headers[0].timestamp == SENT_AT
    assert sorted(sink.payloads.values()) == sorted(files.values())
    assert [a.attachment_name for a in package.attachments] == list(files)


def test_a_recall_repeats_the_original_document_id(tmp_path: Path) -> None:
    """The JSON recall example: DocumentId and Bussiness/DocumentId are the recalled one."""
    text = example("metadata-recall.json")
    request = load_document_folder(_folder(tmp_path, "metadata.json", text, {}))
    header = message_header(request, SENDER, RECIPIENTS)
    trace = trace_list(request, SENDER.organ_id, SENT_AT)
    assert trace.business is not None
    assert header.document_id == trace.business.document_id == (
        "000.00.13.H53,2024/11/05,412/STTTT-VP")
    assert trace.business.business_doc_type is BusinessDocType.RECALL
    assert trace.business.business_doc_reason == "Thu hồi để sửa lỗi nơi nhận"


def test_a_status_update_becomes_a_status_package(tmp_path: Path) -> None:
    """The status-out example maps to a status header that builds and parses back as 03."""
    path = tmp_path / "s.json"
    path.write_text(example("status-out.json"), encoding="utf-8")
    update = load_status_update(path)
    original = StatusResponseFor(organ_id="000.00.13.H53", code="412/STTTT-VP",
                                 document_id=update.document_id)
    out = io.BytesIO()
    build_status(out, status_header(update, RECIPIENTS[0], original, SENT_AT))
    parsed = parse_status(io.BytesIO(out.getvalue())).header
    assert (parsed.status_code, parsed.response_for.document_id) == ("03", update.document_id)
    assert staff_fields(parsed.staff_info) == {"name": "Lê Văn C",
                                               "department": "Văn phòng UBND huyện"}
    assert staff_fields(None) == {}


def test_a_received_package_is_delivered_with_the_parser_as_writer(tmp_path: Path) -> None:
    """End to end on the receiving side: the spooled package is parsed with the inbox writer
    as the attachment sink; SHA256SUMS agrees with the parser's own SHA-256 of each one."""
    files = {"412-STTTT-VP.pdf": b"%PDF-1.4 signed", "phu-luc.pdf": b"%PDF-1.4 annex"}
    request = load_document_folder(_folder(tmp_path, "metadata.yaml", example("metadata.yaml"),
                                           files))
    out = io.BytesIO()
    build_edoc(out, message_header(request, SENDER, RECIPIENTS),
               trace_list(request, SENDER.organ_id, SENT_AT), attachment_sources(request))
    layout = ExchangeLayout(tmp_path / "exchange", {RECIPIENTS[0].organ_id: "ben-cau"})
    layout.ensure()
    folders = layout.folders(RECIPIENTS[0].organ_id)
    spool, sha = spool_package(folders, "68edb8c8c2dcb14db773ce44", [out.getvalue()])
    name = inbox_folder_name(request.document_id(SENDER.organ_id), "68edb8c8c2dcb14db773ce44")
    with inbox_delivery(folders, name) as writer, spool.open("rb") as stream:
        writer.add_package(spool, sha)
        package = parse_edoc(stream, writer)
        writer.write_document({"document_id": package.header.document_id})
    sums = read_sums(folders.inbox / name)
    assert {f"attachments/{a.attachment_name}": a.sha256 for a in package.attachments} == {
        k: v for k, v in sums.items() if k.startswith("attachments/")}
    assert (folders.inbox / name / "attachments" / "phu-luc.pdf").read_bytes() == files[
        "phu-luc.pdf"]
    assert verify_delivery(folders.inbox / name) == []
