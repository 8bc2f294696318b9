"""The builder writes only what XML and the protocol can carry, and says which field is wrong."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest

from agent.core.edxml import (
    AttachmentSource,
    DocumentType,
    OtherInfo,
    PromulgationInfo,
    build_edoc,
)
from agent.errors import InvalidValueError
from tests.unit.edxml.helpers import (
    RECIPIENT,
    edoc_bytes,
    parse_edoc_bytes,
    pdf_source,
    sample_header,
    sample_trace,
    status_bytes,
)
from tests.unit.edxml.strategies import replace


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subject": "Trích yếu\x01"}, "MessageHeader/Subject contains the character U+0001"),
        ({"recipients": (RECIPIENT, replace(RECIPIENT, organ_name="x\x0b"))},
         "MessageHeader/To[2]/OrganName contains the character U+000B"),
        ({"content": "a\ud800b"}, "MessageHeader/Content contains the character U+D800"),
        ({"content": "\ufffe"}, "U+FFFE"),
        ({"document_id": "  "}, "MessageHeader/DocumentId is required but empty"),
        ({"recipients": ()}, "MessageHeader/To is required"),
        ({"steering_type": 10**18}, "MessageHeader/SteeringType: 1000000000000000000 has more"),
        ({"steering_type": "1"}, "MessageHeader/SteeringType: expected int, got str"),
        ({"other_info": OtherInfo(direction=1)},  # type: ignore[arg-type]
         "MessageHeader/OtherInfo/Direction: expected bool, got int"),
        ({"other_info": OtherInfo(priority=True)},
         "MessageHeader/OtherInfo/Priority: expected int, got bool"),
        ({"promulgation_info": PromulgationInfo(promulgation_date=dt.datetime(2024, 1, 1))},
         "PromulgationInfo/PromulgationDate: expected date, got datetime"),
        ({"to_places": ["a"]}, "MessageHeader/ToPlaces: expected a tuple, got list"),
        ({"document_type": DocumentType(type_name="\x00")}, "TypeName contains the character"),
    ],
    ids=["control", "nested-control", "surrogate", "nonchar", "blank-id", "no-recipient",
         "huge-int", "str-for-int", "int-for-bool", "bool-for-int", "datetime-for-date",
         "list-not-tuple", "nul"],
)
def test_values_xml_or_the_protocol_cannot_carry_are_refused(
    changes: dict[str, Any], message: str
) -> None:
    """InvalidValueError names the field path; nothing has been written when it is raised."""
    out = io.BytesIO()
    with pytest.raises(InvalidValueError) as caught:
        build_edoc(out, sample_header(**changes), sample_trace(), [pdf_source()])
    assert (True, b"") == (message in caught.value.message, out.getvalue())


def test_aware_timestamps_are_refused() -> None:
    """Timestamps are naive Vietnam local time on the wire; an aware one must be converted."""
    trace = sample_trace()
    aware = replace(trace, trace_headers=(replace(
        trace.trace_headers[0], timestamp=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),))
    with pytest.raises(InvalidValueError, match="carries a time zone"):
        edoc_bytes(trace=aware)


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ([pdf_source(cid="a"), pdf_source(cid="cid:a")], "ContentId a is used by two"),
        ([pdf_source(cid="cid:")], "is not a usable content id"),
        ([pdf_source(cid="a b")], "is not a usable content id"),
        ([pdf_source(name="a\x07.pdf")], "Attachment[1]/AttachmentName contains the character"),
        ([pdf_source(), AttachmentSource.from_bytes("b", "b", "x", b"", mime_type="\x1f")],
         "Attachment[2]/MimeType contains the character U+001F"),
    ],
    ids=["duplicate", "empty", "space", "control-in-name", "control-in-mime-type"],
)
def test_attachment_metadata_is_checked(sources: list[AttachmentSource], message: str) -> None:
    """Content ids must be usable and unique (cid: prefix ignored); names must be XML text.
    Checked before anything is written."""
    out = io.BytesIO()
    with pytest.raises(InvalidValueError) as caught:
        build_edoc(out, sample_header(), sample_trace(), sources)
    assert (True, b"") == (message in caught.value.message, out.getvalue())


def test_carriage_returns_are_written_as_character_references() -> None:
    """A bare \\r would become \\n in any XML parser; &#13; keeps it."""
    data, _ = edoc_bytes(sample_header(content="dòng 1\r\ndòng 2\r"))
    assert b"<edXML:Content>d\xc3\xb2ng 1&#13;\nd\xc3\xb2ng 2&#13;</edXML:Content>" in data
    assert "dòng 1\r\ndòng 2\r" == parse_edoc_bytes(data).header.content


def test_markup_characters_are_escaped() -> None:
    """&, < and > in text (including ]]>) are escaped; the value comes back unchanged."""
    subject = 'a & b < c > d ]]> "e" \'f\''
    data, _ = edoc_bytes(sample_header(subject=subject))
    assert b"a &amp; b &lt; c &gt; d ]]&gt; \"e\" 'f'" in data
    assert subject == parse_edoc_bytes(data).header.subject


class _Tracked(io.BytesIO):
    closed_by_builder = False

    def close(self) -> None:
        _Tracked.closed_by_builder = True
        super().close()


def test_payload_is_one_line_and_the_report_matches_the_output() -> None:
    """Multi-block payloads have no line breaks; sizes, digests and byte count are reported;
    each source is opened once and closed."""
    data = bytes(range(256)) * 2000  # 512 000 bytes: three encoder blocks
    source = AttachmentSource("cid:x", "big.bin", "application/octet-stream",
                              lambda: _Tracked(data))
    out = io.BytesIO()
    report = build_edoc(out, sample_header(), sample_trace(), [source])
    payload = re.search(rb"<edXML:ContentTransferEncoded [^>]*>([^<]*)<", out.getvalue())
    assert payload is not None and re.fullmatch(rb"[A-Za-z0-9+/]+=*", payload.group(1))
    assert (len(out.getvalue()), 512_000, True) == (
        report.bytes_written, report.attachments[0].size, _Tracked.closed_by_builder)


def test_no_attachments_gives_empty_manifest_and_attachment_list() -> None:
    """A recall may carry no file: the body and AttachmentEncoded are present and empty."""
    data, report = edoc_bytes()
    assert b'<edXML:edXMLManifest version="1.0"/>' in data
    assert data.endswith(b"\n  <AttachmentEncoded/>\n</edXML>\n")
    assert () == report.attachments


def test_status_packages_have_no_body_or_attachments() -> None:
    """AXIS.md §4.1: the status header holds only MessageHeader."""
    data = status_bytes()
    assert (False, False, False) == (b"edXMLBody" in data, b"AttachmentEncoded" in data,
                                      b"TraceHeaderList" in data)


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        (b'<?xml version="1.0"?><Signature/>', "must start with the <Signature> element"),
        (b" <Signature/>", "must start with the <Signature> element"),
        (b"<Signature><SignedInfo></Signature>", "not well-formed"),
        (b"<Other/>", "element is Other, not a Signature"),
        (b'<Signature xmlns="urn:x"/>', "element is {urn:x}Signature"),
        (b"<Signature/><Signature/>", "not well-formed"),
    ],
)
def test_signature_fragment_must_be_one_signature_element(fragment: bytes, message: str) -> None:
    """A faulty fragment cannot produce a broken package."""
    with pytest.raises(InvalidValueError) as caught:
        edoc_bytes(signature=fragment)
    assert message in caught.value.message
