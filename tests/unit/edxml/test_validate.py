"""Validation levels: off reports nothing, bkav the hub's rules, strict adds warnings."""

from __future__ import annotations

import datetime as dt

from agent.core.edxml import (
    DocumentCode,
    DocumentType,
    Organization,
    OtherInfo,
    PromulgationInfo,
    StatusPackage,
    validate,
)
from agent.core.edxml.validate import errors
from tests.unit.edxml.examples import EDOC_NEW, STATUS_03
from tests.unit.edxml.helpers import (
    RECIPIENT,
    edoc_bytes,
    parse,
    parse_edoc_bytes,
    pdf_source,
    sample_header,
    sample_status,
)
from tests.unit.edxml.strategies import replace

COMPLETE = {
    "code": DocumentCode(code_number="412", code_notation="STTTT-VP"),
    "promulgation_info": PromulgationInfo(promulgation_date=dt.date(2024, 11, 5)),
    "document_type": DocumentType(type=1),
}


def _paths(problems: list) -> list[tuple[str, str]]:
    return [(p.severity, p.path) for p in problems]


def test_the_examples_are_valid_at_every_level() -> None:
    """The reference packages pass bkav and strict without errors or warnings."""
    for data in (EDOC_NEW, STATUS_03):
        package = parse(data)[0]
        assert ([], [], []) == (validate(package, "off"), validate(package, "bkav"),
                                validate(package, "strict"))


def test_bkav_rules_on_an_edoc() -> None:
    """Missing số/ký hiệu, date and subject, type 3, priority 5, negative page count, duplicate
    recipient, no Bussiness: each reported with its path, as an error."""
    header = sample_header(
        subject=" ", document_type=DocumentType(type=3),
        other_info=OtherInfo(priority=5, page_amount=-1),
        recipients=(RECIPIENT, replace(RECIPIENT, organ_name="again")),
        sender=Organization(organ_id="000.00.13.H53"),
    )
    package = parse_edoc_bytes(edoc_bytes(header)[0])
    package = replace(package, trace_list=None)
    assert [
        ("error", "MessageHeader/From/OrganName"),
        ("error", "MessageHeader/To[2]/OrganId"),
        ("error", "MessageHeader/Code/CodeNumber"),
        ("error", "MessageHeader/Code/CodeNotation"),
        ("error", "MessageHeader/PromulgationInfo/PromulgationDate"),
        ("error", "MessageHeader/Subject"),
        ("error", "MessageHeader/DocumentType/Type"),
        ("error", "MessageHeader/OtherInfo/Priority"),
        ("error", "MessageHeader/OtherInfo/PageAmount"),
        ("error", "TraceHeaderList/Bussiness"),
    ] == _paths(validate(package, "bkav"))
    assert [] == validate(package, "off")


def test_strict_adds_organ_code_and_attachment_name_warnings() -> None:
    """Malformed codes seen in real traffic and names receivers will change are warnings."""
    header = sample_header(sender=Organization(organ_id="01.02.G22", organ_name="x"), **COMPLETE)
    data, _ = edoc_bytes(header, attachments=[pdf_source(name="CON.pdf"),
                                              pdf_source(cid="b", name="ab:c.pdf")])
    package = parse_edoc_bytes(data)
    assert [] == validate(package, "bkav")
    problems = validate(package, "strict")
    assert [
        ("warning", "MessageHeader/From/OrganId"),
        ("warning", "AttachmentEncoded/Attachment[1]/AttachmentName"),
        ("warning", "AttachmentEncoded/Attachment[2]/AttachmentName"),
    ] == _paths(problems)
    assert "will be delivered as 'ab_c.pdf'" in problems[2].message
    assert [] == errors(problems)


def test_status_rules() -> None:
    """bkav: ResponseFor/Code and a two-digit StatusCode; strict: unknown code, no timestamp."""
    status = sample_status(status_code="3", timestamp=None)
    status = replace(status, response_for=replace(status.response_for, code=None))
    assert [
        ("error", "MessageHeader/ResponseFor/Code"),
        ("error", "MessageHeader/StatusCode"),
    ] == _paths(validate(StatusPackage(header=status), "bkav"))
    unknown = StatusPackage(header=sample_status(status_code="09", timestamp=None))
    assert [
        ("warning", "MessageHeader/StatusCode"),
        ("warning", "MessageHeader/Timestamp"),
    ] == _paths(validate(unknown, "strict"))
