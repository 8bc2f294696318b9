"""Small helpers shared by the edXML unit tests: build to bytes, parse from bytes, a sample."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from agent.core.edxml import (
    AttachmentSource,
    BuildReport,
    Business,
    BusinessDocType,
    EdocPackage,
    MemorySink,
    MessageHeader,
    Organization,
    ParseLimits,
    StatusHeader,
    StatusPackage,
    StatusResponseFor,
    TraceHeader,
    TraceHeaderList,
    build_edoc,
    build_status,
    parse_package,
)

SENDER = Organization(organ_id="000.00.13.H53", organ_name="Sở Thông tin và Truyền thông")
RECIPIENT = Organization(organ_id="000.00.31.H53", organ_name="UBND huyện Bến Cầu")
DOCUMENT_ID = "000.00.13.H53,2024/11/05,412/STTTT-VP"


def sample_header(**changes: Any) -> MessageHeader:
    fields: dict[str, Any] = {
        "sender": SENDER,
        "recipients": (RECIPIENT,),
        "document_id": DOCUMENT_ID,
        "subject": "V/v thử nghiệm",
    }
    fields.update(changes)
    return MessageHeader(**fields)


def sample_trace(doc_type: BusinessDocType = BusinessDocType.NEW) -> TraceHeaderList:
    return TraceHeaderList(
        trace_headers=(
            TraceHeader(organ_id=SENDER.organ_id, timestamp=dt.datetime(2024, 11, 5, 8, 30)),
        ),
        business=Business(document_id=DOCUMENT_ID, business_doc_type=doc_type),
    )


def sample_status(**changes: Any) -> StatusHeader:
    fields: dict[str, Any] = {
        "sender": RECIPIENT,
        "response_for": StatusResponseFor(
            organ_id=SENDER.organ_id, code="412/STTTT-VP", document_id=DOCUMENT_ID
        ),
        "status_code": "03",
        "timestamp": dt.datetime(2024, 11, 5, 9, 15, 20),
    }
    fields.update(changes)
    return StatusHeader(**fields)


def pdf_source(data: bytes = b"%PDF-1.4 test", cid: str = "cid:abc-1", name: str = "a.pdf") -> (
    AttachmentSource
):
    return AttachmentSource.from_bytes(cid, name, "application/pdf", data, description="Tệp")


def edoc_bytes(
    header: MessageHeader | None = None,
    trace: TraceHeaderList | None = None,
    attachments: Sequence[AttachmentSource] = (),
    signature: bytes | None = None,
) -> tuple[bytes, BuildReport]:
    out = io.BytesIO()
    report = build_edoc(
        out, header or sample_header(), trace or sample_trace(), attachments, signature=signature
    )
    return out.getvalue(), report


def status_bytes(header: StatusHeader | None = None, signature: bytes | None = None) -> bytes:
    out = io.BytesIO()
    build_status(out, header or sample_status(), signature=signature)
    return out.getvalue()


def parse(data: bytes, limits: ParseLimits | None = None) -> tuple[Any, MemorySink]:
    sink = MemorySink()
    return parse_package(io.BytesIO(data), sink, limits=limits), sink


def parse_edoc_bytes(data: bytes, limits: ParseLimits | None = None) -> EdocPackage:
    package, _ = parse(data, limits)
    assert isinstance(package, EdocPackage)
    return package


def parse_status_bytes(data: bytes) -> StatusPackage:
    package, _ = parse(data)
    assert isinstance(package, StatusPackage)
    return package
