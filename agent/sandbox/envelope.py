"""Find where the envelope sits in a stored package, checking the whole file is safe XML.

One expat pass over the file, in constant memory, with no character-data handler (base64 text
is skipped at C speed). It refuses DOCTYPEs like :mod:`agent.core.xmlstream`, checks the file is
well-formed to its end, and records byte offsets: where the root element starts and where the
``edXMLEnvelope`` element ends. The *head* (root start tag … envelope end tag, closed with the
root's end tag) is a small, complete document: the header the sandbox reads for routing and
re-serialises in ``--transit rebuild``; everything after the envelope (the ``AttachmentEncoded``
section) is then copied as bytes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from lxml import etree

from agent.core.edxml.model import QCVN_NS
from agent.core.xmlstream import refuse_doctype
from agent.errors import (
    EntityDeclarationError,
    ExternalEntityError,
    ForbiddenDeclarationError,
    MissingElementError,
    XmlSyntaxError,
)

_SEP = "\x1f"
_CHUNK = 1 << 18
_PROLOG_BYTES = 1 << 16
_BOM = b"\xef\xbb\xbf"
_NAME = rb"(?:[A-Za-z_][\w.\-]*:)?"
_ROOT_START = re.compile(rb"<(" + _NAME + rb"edXML)[\s>/]")
_ENVELOPE_END = re.compile(rb"</" + _NAME + rb"edXMLEnvelope\s*>")
_ENVELOPE_TAG = f"{{{QCVN_NS}}}edXMLEnvelope"


@dataclass(frozen=True, slots=True)
class EnvelopeSpan:
    """Byte offsets in the stored file."""

    root_start: int  # '<' of the root start tag
    envelope_end: int  # just after the '>' of </edXMLEnvelope>
    root_qname: str  # the root's name as written (``edXML`` or ``p:edXML``)
    size: int

    def head(self, fh: BinaryIO) -> bytes:
        """The root start tag through the envelope, closed: a small well-formed document."""
        fh.seek(self.root_start)
        body = fh.read(self.envelope_end - self.root_start)
        return body + f"</{self.root_qname}>".encode()

    def head_of(self, data: bytes) -> bytes:
        """:meth:`head` of a package in memory."""
        return data[self.root_start : self.envelope_end] + f"</{self.root_qname}>".encode()


class _Scan:
    def __init__(self) -> None:
        self.depth = 0
        self.offset = 0  # bytes skipped before the document
        self.root_start = -1
        self.root_qname = ""
        self.envelope_depth = 0
        self.envelope_end_tag = -1
        self.parser = expat.ParserCreate(encoding="UTF-8", namespace_separator=_SEP)
        p = self.parser
        p.namespace_prefixes = True
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._entity
        p.ExternalEntityRefHandler = self._external

    def _start(self, raw: str, attrs: object) -> None:
        self.depth += 1
        if self.depth == 1:
            self.root_start = self.offset + self.parser.CurrentByteIndex
            parts = raw.split(_SEP)
            self.root_qname = f"{parts[2]}:{parts[1]}" if len(parts) == 3 else parts[-1]
        elif self.depth == 2 and not self.envelope_depth and _is_envelope(raw):
            self.envelope_depth = 2

    def _end(self, raw: str) -> None:
        if self.depth == self.envelope_depth and self.envelope_end_tag < 0:
            self.envelope_end_tag = self.offset + self.parser.CurrentByteIndex
        self.depth -= 1

    def _doctype(self, *args: object) -> None:
        raise ForbiddenDeclarationError("the package carries a DOCTYPE declaration")

    def _entity(self, *args: object) -> None:
        raise EntityDeclarationError("the package declares XML entities")

    def _external(self, *args: object) -> int:
        raise ExternalEntityError("the package refers to an external entity")


def _is_envelope(raw: str) -> bool:
    parts = raw.split(_SEP)
    return len(parts) >= 2 and parts[0] == QCVN_NS and parts[1] == "edXMLEnvelope"


def scan_package(path: Path) -> EnvelopeSpan:
    """:func:`scan_stream` over a file."""
    with open(path, "rb") as fh:
        return scan_stream(fh)


def scan_stream(fh: BinaryIO) -> EnvelopeSpan:
    """Check ``fh`` holds safe, well-formed XML with an edXML envelope; return the offsets.

    Raises :class:`agent.errors.XmlSafetyError` subclasses for unsafe or broken XML and
    :class:`agent.errors.MissingElementError` when there is no ``edXMLEnvelope`` under the root.
    """
    scan = _Scan()
    try:
        size = _feed_all(scan, fh)
    except ForbiddenDeclarationError:
        fh.seek(0)
        refuse_doctype(fh.read(_PROLOG_BYTES))  # say which kind of DOCTYPE attack it is
    if scan.envelope_end_tag < 0:
        raise MissingElementError(
            "the package has no edXMLEnvelope element in the QCVN 102 namespace under its root",
            hint=f"an edXML package is <edXML xmlns=\"{QCVN_NS}\"><edXML:edXMLEnvelope>…",
        )
    fh.seek(scan.envelope_end_tag)
    end = fh.read(4096).find(b">")
    return EnvelopeSpan(scan.root_start, scan.envelope_end_tag + end + 1, scan.root_qname, size)


def locate(data: bytes) -> EnvelopeSpan:
    """:func:`scan_stream` for a package in memory, with a fast path.

    libxml2 (lxml, no DTD, no entities, no network) checks the whole package is well-formed, and a
    byte search finds the root start tag and the envelope end tag; the head they delimit must
    itself parse with the envelope as the root's last child, which rules out a match inside a
    comment or CDATA. Whenever anything is off, the expat scan decides and explains.
    """
    span = _fast_span(data)
    return span if span is not None else scan_stream(io.BytesIO(data))


def _fast_span(data: bytes) -> EnvelopeSpan | None:
    start = _leading_length(data)
    try:
        root = etree.fromstring(data[start:] if start else data, _parser())
    except etree.XMLSyntaxError:
        return None
    if root.getroottree().docinfo.doctype:
        return None
    opening = _ROOT_START.search(data, start)
    closing = _ENVELOPE_END.search(data, start)
    if opening is None or closing is None:
        return None
    qname = opening.group(1).decode("ascii", "replace")
    span = EnvelopeSpan(opening.start(), closing.end(), qname, len(data))
    try:
        head = etree.fromstring(span.head_of(data), _parser())
    except etree.XMLSyntaxError:
        return None
    last = head[-1] if len(head) else None
    if last is None or last.tag != _ENVELOPE_TAG:
        return None
    return span


def _parser() -> etree.XMLParser:
    """A fresh safe parser (lxml parsers must not be shared between threads)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def _leading_length(data: bytes) -> int:
    i = 0
    while True:
        if data.startswith(_BOM, i):
            i += 3
        elif data[i : i + 1] in (b" ", b"\t", b"\r", b"\n"):
            i += 1
        else:
            return i


def _skip_leading(fh: BinaryIO) -> int:
    """Skip any mix of BOMs and whitespace before the document (real packages carry both)."""
    skipped = 0
    while True:
        fh.seek(skipped)
        head = fh.read(3)
        if head.startswith(_BOM):
            skipped += 3
        elif head[:1] and head[:1] in b" \t\r\n":
            skipped += 1
        else:
            fh.seek(skipped)
            return skipped


def _feed_all(scan: _Scan, fh: BinaryIO) -> int:
    size = scan.offset = _skip_leading(fh)
    try:
        while chunk := fh.read(_CHUNK):
            size += len(chunk)
            scan.parser.Parse(chunk, False)
        scan.parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise XmlSyntaxError(
            f"the package is not well-formed XML: {expat.errors.messages[exc.code]} "
            f"at line {exc.lineno}, column {exc.offset}",
            hint="the file is truncated, not UTF-8, or not XML at all.",
        ) from exc
    return size
