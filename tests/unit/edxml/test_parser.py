"""The parser accepts what real packages vary in, and refuses precisely what it cannot use."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence

import pytest
from lxml import etree

from agent.core.edxml import (
    QCVN_NS,
    XMLDSIG_NS,
    EdocPackage,
    MemorySink,
    parse_edoc,
    parse_package,
    parse_status,
)
from agent.core.xmlstream import EventSink, QName
from agent.errors import (
    AttachmentDecodeError,
    InvalidValueError,
    ManifestMismatchError,
    MissingElementError,
    PackageError,
)
from tests.unit.edxml.examples import EDOC_NEW, STATUS_03
from tests.unit.edxml.helpers import (
    DOCUMENT_ID,
    edoc_bytes,
    parse,
    parse_edoc_bytes,
    pdf_source,
    sample_header,
    status_bytes,
)

HEADER_PATH = "edXML/edXMLEnvelope/edXMLHeader/MessageHeader"


def _sub(data: bytes, old: str, new: str, count: int = 1) -> bytes:
    text = data.decode()
    assert old in text, old
    return text.replace(old, new, count).encode()


def _shuffled(data: bytes, seed: int) -> bytes:
    """Every element's children in a random order (the root's too); repeated elements keep
    their relative order, which carries meaning (recipients, attachments, trace)."""
    rng = random.Random(seed)
    root = etree.fromstring(data)
    for el in root.iter():
        rank = {child.tag: rng.random() for child in el}
        el[:] = sorted(el, key=lambda child: rank[child.tag])
    return etree.tostring(root)


# --- accepted variations --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_any_child_order_gives_the_same_package(seed: int) -> None:
    """Children in any order at every level (VNPT's own samples reorder) parse the same."""
    data, _ = edoc_bytes(attachments=[pdf_source(), pdf_source(b"2", "cid:two", "b.pdf")])
    assert parse(data)[0] == parse(_shuffled(data, seed))[0]


def test_unknown_elements_and_attributes_are_ignored() -> None:
    """Unknown elements (ours or foreign), xlink attributes and TraceHeader attributes."""
    data, _ = edoc_bytes(attachments=[pdf_source()])
    noisy = _sub(data, "<edXML:Subject>", '<edXML:Future a="1"><edXML:X>y</edXML:X></edXML:Future>'
                 '<o:Other xmlns:o="urn:other">z</o:Other><edXML:Subject>')
    noisy = _sub(noisy, "<edXML:Reference>",
                 '<edXML:Reference xmlns:xlink="http://www.w3.org/1999/xlink" '
                 'xlink:href="cid:abc-1" xlink:role="x" xlink:type="simple">')
    noisy = _sub(noisy, "<edXML:TraceHeader>",
                 '<edXML:TraceHeader id="t1" version="1.0" mustUnderstand="1" '
                 'actor="http://schemas.xmlsoap.org/soap/actor/next">')
    assert parse(data)[0] == parse(noisy)[0]


def test_same_local_name_in_another_namespace_is_not_read() -> None:
    """Only (QCVN namespace, local name) counts: a foreign DocumentId does not replace ours."""
    data, _ = edoc_bytes()
    evil = _sub(data, "<edXML:DocumentId>",
                '<x:DocumentId xmlns:x="urn:evil">EVIL</x:DocumentId><edXML:DocumentId>')
    assert DOCUMENT_ID == parse_edoc_bytes(evil).header.document_id


def test_prefixes_do_not_matter() -> None:
    """Another prefix, or the default namespace everywhere, reads the same."""
    data, _ = edoc_bytes(attachments=[pdf_source()])
    other_prefix = data.replace(b"edXML:", b"q:").replace(b"xmlns:edXML=", b"xmlns:q=")
    no_prefix = data.replace(b"edXML:", b"").replace(b' xmlns:edXML="' + QCVN_NS.encode() + b'"',
                                                     b"")
    assert parse(data)[0] == parse(other_prefix)[0] == parse(no_prefix)[0]


def test_extra_trace_headers_are_kept_in_order() -> None:
    """The axis appends TraceHeaders (§9), sometimes with only a Timestamp."""
    data, _ = edoc_bytes()
    more = _sub(data, "</edXML:TraceHeaderList>",
                "<edXML:TraceHeader><edXML:OrganId>001.00.20.TT2</edXML:OrganId>"
                "<edXML:Timestamp>2024/11/05 08:31:02</edXML:Timestamp></edXML:TraceHeader>"
                "<edXML:TraceHeader><edXML:Timestamp>2025/10/01 10:00:00</edXML:Timestamp>"
                "</edXML:TraceHeader></edXML:TraceHeaderList>")
    traces = parse_edoc_bytes(more).trace_list.trace_headers
    assert ["000.00.13.H53", "001.00.20.TT2", None] == [t.organ_id for t in traces]


@pytest.mark.parametrize("written", ["cid:abc-1", "abc-1", "CID:abc-1", " cid: abc-1 ", "<abc-1>"])
def test_content_id_with_or_without_cid_prefix(written: str) -> None:
    """The .NET variant omits ``cid:`` in Attachment; both sides are compared bare."""
    data, _ = edoc_bytes(attachments=[pdf_source()])
    variant = _sub(data, "<ContentId>cid:abc-1</ContentId>",
                   f"<ContentId>{written.replace('<', '&lt;')}</ContentId>")
    package = parse_edoc_bytes(variant)
    assert ["abc-1"] == [a.content_id for a in package.attachments]


def test_leading_bom_and_whitespace_are_accepted() -> None:
    """Real packages start with a UTF-8 BOM and blank lines."""
    assert parse(STATUS_03)[0] == parse(b"\xef\xbb\xbf\r\n  \n" + STATUS_03)[0]


def test_text_is_all_character_data_around_comments_and_cdata() -> None:
    """``A<!---->B`` reads AB, never just the first chunk: comment injection cannot cut a value."""
    data, _ = edoc_bytes()
    split = _sub(data, f"<edXML:DocumentId>{DOCUMENT_ID}</edXML:DocumentId>",
                 "<edXML:DocumentId>000.00.13.H53<!-- injected -->,2024/11/05,"
                 "<![CDATA[412/]]>STTTT-VP<?pi x?></edXML:DocumentId>")
    assert DOCUMENT_ID == parse_edoc_bytes(split).header.document_id


def test_empty_elements_parse_as_empty_text_and_absent_values() -> None:
    """An empty text element is ""; an empty typed element is None; an absent one is None."""
    data, _ = edoc_bytes(sample_header(content=""))
    assert "" == parse_edoc_bytes(data).header.content
    typed = _sub(data, "<edXML:Subject>",
                 "<edXML:DueDate/><edXML:SteeringType> </edXML:SteeringType><edXML:Subject>")
    header = parse_edoc_bytes(typed).header
    assert (None, None, None) == (header.due_date, header.steering_type, header.signer_info)


def test_the_axis_empty_response_for_is_accepted() -> None:
    """The axis adds ``<edXML:ResponseFor />`` to edocs (§9): an all-empty ResponseFor."""
    data, _ = edoc_bytes()
    augmented = _sub(data, "</edXML:MessageHeader>", "<edXML:ResponseFor /></edXML:MessageHeader>")
    assert 1 == len(parse_edoc_bytes(augmented).header.response_for)
    assert None is parse_edoc_bytes(augmented).header.response_for[0].organ_id


def test_unknown_status_codes_are_stored_verbatim() -> None:
    """Codes outside §4.2 are accepted: status_code keeps the text, status is None."""
    package = parse(_sub(STATUS_03, "<edXML:StatusCode>03<", "<edXML:StatusCode>09<"))[0]
    assert ("09", None) == (package.header.status_code, package.header.status)


def test_signatures_are_recorded_in_either_namespace_with_their_place() -> None:
    """xmldsig or QCVN namespace; a Signature elsewhere than last in the header is visible."""
    data, _ = edoc_bytes()
    both = _sub(data, "</edXML:TraceHeaderList>",
                f'</edXML:TraceHeaderList><Signature xmlns="{XMLDSIG_NS}"><X/></Signature>'
                "<Signature><SignatureValue>AA</SignatureValue></Signature>")
    both = _sub(both, "<edXML:Subject>", "<edXML:Signature/><edXML:Subject>")
    found = [(s.namespace, s.path, s.last_in_header) for s in parse(both)[0].signatures]
    assert [
        (QCVN_NS, HEADER_PATH, False),
        (XMLDSIG_NS, "edXML/edXMLEnvelope/edXMLHeader", False),
        (QCVN_NS, "edXML/edXMLEnvelope/edXMLHeader", True),
    ] == found


class _Recorder(EventSink):
    def __init__(self) -> None:
        self.names: list[str] = []
        self.chunks: list[str] = []

    def start(self, name: QName, attrs: Sequence[tuple[QName, str]],
              nsdecls: Sequence[tuple[str | None, str | None]]) -> None:
        self.names.append(name.local)

    def text(self, data: str) -> None:
        self.chunks.append(data)


def test_observers_receive_the_same_events_in_one_pass() -> None:
    """A signature digester plugged in as an observer sees every element and every byte of text,
    payloads included, from the same read."""
    data, _ = edoc_bytes(attachments=[pdf_source(b"x" * 100_000)])
    recorder = _Recorder()
    package = parse_package(io.BytesIO(data), observers=[recorder])
    expected_names = [etree.QName(el).localname for el in etree.fromstring(data).iter()]
    assert expected_names == recorder.names
    assert "".join(etree.fromstring(data).itertext()) == "".join(recorder.chunks)
    assert 100_000 == package.attachments[0].size


def test_sink_is_told_each_attachment_and_every_stream_is_closed() -> None:
    """The sink gets index, bare content id and declared name; the parser closes its streams."""
    data, _ = edoc_bytes(attachments=[pdf_source(), pdf_source(b"", "two", "b.pdf")])
    sink = MemorySink()
    parse_package(io.BytesIO(data), sink)
    assert [(0, "abc-1", "a.pdf"), (1, "two", "b.pdf")] == sink.opened
    assert {0: b"%PDF-1.4 test", 1: b""} == sink.payloads  # filled on close()


def test_a_failing_payload_still_has_its_stream_closed() -> None:
    """On a decode error mid-package every opened stream is closed (the caller discards)."""
    data, _ = edoc_bytes(attachments=[pdf_source(), pdf_source(b"12345", "two", "b.pdf")])
    broken = _sub(data, ">MTIzNDU=<", ">MTIz$DU=<")
    sink = MemorySink()
    with pytest.raises(AttachmentDecodeError):
        parse_package(io.BytesIO(broken), sink)
    assert [0, 1] == sorted(sink.payloads)


def test_parse_edoc_and_parse_status_refuse_the_other_kind() -> None:
    """A status fetched as an edoc (or the reverse) is a clear PackageError."""
    with pytest.raises(PackageError, match="status package"):
        parse_edoc(io.BytesIO(STATUS_03))
    with pytest.raises(PackageError, match="edoc package"):
        parse_status(io.BytesIO(EDOC_NEW))
    assert isinstance(parse_edoc(io.BytesIO(EDOC_NEW)), EdocPackage)


# --- refused, with the element path ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "error", "message"),
    [
        ("<edXML:OrganId>000.00.13.H53</edXML:OrganId>", "", MissingElementError,
         f"{HEADER_PATH}/From/OrganId is missing"),
        ("<edXML:OrganId>000.00.13.H53</edXML:OrganId>", "<edXML:OrganId> </edXML:OrganId>",
         InvalidValueError, f"{HEADER_PATH}/From/OrganId is empty"),
        (f"<edXML:DocumentId>{DOCUMENT_ID}</edXML:DocumentId>", "", MissingElementError,
         f"{HEADER_PATH}/DocumentId is missing"),
        ("<edXML:Subject>", f"<edXML:DocumentId>{DOCUMENT_ID}</edXML:DocumentId><edXML:Subject>",
         InvalidValueError, f"{HEADER_PATH}/DocumentId appears 2 times"),
        ("<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>7<", InvalidValueError,
         "BussinessDocType: 7 is not a known value"),
        ("<edXML:Timestamp>2024/11/05 08:30:00<", "<edXML:Timestamp>05/11/2024 08:30<",
         InvalidValueError, "TraceHeader/Timestamp: '05/11/2024 08:30' is not a timestamp"),
        ("<edXML:Subject>", "<edXML:DueDate>2024/13/01</edXML:DueDate><edXML:Subject>",
         InvalidValueError, f"{HEADER_PATH}/DueDate: '2024/13/01' is not a date"),
        ("<edXML:Subject>", "<edXML:SteeringType>một</edXML:SteeringType><edXML:Subject>",
         InvalidValueError, "SteeringType: 'một' is not a decimal integer"),
        ("<edXML:Subject>", "<edXML:OtherInfo><edXML:Direction>yes</edXML:Direction>"
         "</edXML:OtherInfo><edXML:Subject>", InvalidValueError, "Direction: 'yes' is not true"),
        ("<edXML:edXMLHeader>", "<edXML:edXMLHeader/><edXML:edXMLHeader>", InvalidValueError,
         "edXMLHeader appears 2 times"),
    ],
    ids=["no-from-organ", "blank-from-organ", "no-document-id", "two-document-ids",
         "business-type-7", "bad-timestamp", "bad-date", "bad-int", "bad-bool", "two-headers"],
)
def test_edoc_errors_name_the_element(old: str, new: str, error: type[Exception],
                                      message: str) -> None:
    """Each refusal is the specific error class, and the message carries the element path."""
    data, _ = edoc_bytes()
    with pytest.raises(error) as caught:
        parse(_sub(data, old, new))
    assert message in str(caught.value)


def test_an_edoc_needs_a_recipient() -> None:
    """Without any To the package cannot be routed."""
    data, _ = edoc_bytes()
    start = data.index(b"<edXML:To>")
    end = data.index(b"</edXML:To>") + len(b"</edXML:To>")
    with pytest.raises(MissingElementError, match=f"{HEADER_PATH}/To is missing"):
        parse(data[:start] + data[end:])


@pytest.mark.parametrize(
    ("old", "path"),
    [
        ("<edXML:OrganId>000.00.13.H53</edXML:OrganId>\n          <edXML:Code>",
         "ResponseFor/OrganId"),
        (f"<edXML:DocumentId>{DOCUMENT_ID}</edXML:DocumentId>", "ResponseFor/DocumentId"),
    ],
)
def test_status_requires_what_correlation_needs(old: str, path: str) -> None:
    """A status without ResponseFor/OrganId or /DocumentId cannot be routed or matched."""
    data = status_bytes()
    with pytest.raises(MissingElementError, match=f"{HEADER_PATH}/{path} is missing"):
        parse(_sub(data, old, "<edXML:Code>" if "Code" in old else ""))


def test_status_code_must_not_be_blank() -> None:
    """An empty StatusCode is refused with its path."""
    with pytest.raises(InvalidValueError, match="StatusCode is empty"):
        parse(_sub(STATUS_03, "<edXML:StatusCode>03<", "<edXML:StatusCode> <"))


def test_root_in_the_wrong_namespace_is_not_edxml() -> None:
    """The Bkav legacy namespace is named in the hint; the body is never read."""
    legacy = STATUS_03.replace(QCVN_NS.encode(), b"http://www.e-doc.vn/Schema/")
    with pytest.raises(PackageError, match="root element is <edXML> in namespace") as caught:
        parse(legacy)
    assert "legacy" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("attachments_xml", "message"),
    [
        ("", "listed in the manifest but not attached: abc-1"),
        ("<Attachment><ContentId>other</ContentId><edXML:ContentTransferEncoded/></Attachment>",
         "listed in the manifest but not attached: abc-1; attached but not in the manifest: other"),
        ("<Attachment><ContentId>abc-1</ContentId><edXML:ContentTransferEncoded/></Attachment>"
         "<Attachment><ContentId>cid:abc-1</ContentId><edXML:ContentTransferEncoded/>"
         "</Attachment>", "AttachmentEncoded lists the ContentId abc-1 more than once"),
    ],
    ids=["missing", "different", "duplicate"],
)
def test_manifest_and_attachments_must_correspond(attachments_xml: str, message: str) -> None:
    """Each Reference needs its Attachment and vice versa; duplicates are refused."""
    data, _ = edoc_bytes(attachments=[pdf_source()])
    text = data.decode()
    start = text.index("<AttachmentEncoded>")
    end = text.index("</AttachmentEncoded>") + len("</AttachmentEncoded>")
    body = f'<AttachmentEncoded xmlns:edXML="{QCVN_NS}">{attachments_xml}</AttachmentEncoded>'
    with pytest.raises(ManifestMismatchError) as caught:
        parse((text[:start] + body + text[end:]).encode())
    assert message in caught.value.message


def test_attachment_without_payload_is_missing_an_element() -> None:
    """An Attachment with no ContentTransferEncoded names the element."""
    data, _ = edoc_bytes(attachments=[pdf_source()])
    text = data.decode()
    start = text.index("<edXML:ContentTransferEncoded")
    end = text.index("</edXML:ContentTransferEncoded>") + len("</edXML:ContentTransferEncoded>")
    expected = r"AttachmentEncoded/Attachment\[1\]/ContentTransferEncoded is missing"
    with pytest.raises(MissingElementError, match=expected):
        parse((text[:start] + text[end:]).encode())


def test_two_payloads_or_markup_inside_a_payload_are_refused() -> None:
    """One Attachment carries exactly one base64 text."""
    data, _ = edoc_bytes(attachments=[pdf_source()])
    twice = _sub(data, "</Attachment>", f'<edXML:ContentTransferEncoded xmlns:edXML="{QCVN_NS}"/>'
                 "</Attachment>")
    with pytest.raises(PackageError, match="more than one ContentTransferEncoded"):
        parse(twice)
    inner = _sub(data, "</edXML:ContentTransferEncoded>", "<x/></edXML:ContentTransferEncoded>")
    with pytest.raises(PackageError, match="has an element <x> inside its base64 payload"):
        parse(inner)
