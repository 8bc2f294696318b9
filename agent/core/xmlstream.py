"""Safe, streaming XML events over expat.

One pass over a byte stream, fed to expat in chunks, dispatched as namespace-aware events to any
number of handlers (the edXML parser, the exclusive-c14n digester of the XML-signature verifier).
Because every consumer sees the very same events, business data and signed data cannot diverge.

Why expat and not lxml here: expat hands character data over in pieces no larger than the chunk fed
to it, so a 500 MB base64 attachment streams through in constant memory; lxml (libxml2) builds each
text node whole. lxml is used where trees are small (headers, SignedInfo).

Safety, before and during parsing:

* a leading UTF-8 BOM and whitespace are skipped (real packages carry both);
* the prolog is scanned *before* expat sees it: any ``<!DOCTYPE`` is refused, classified as an
  external DTD, an external entity (XXE) or an entity declaration (billion laughs) so the error
  tells the operator which attack it was; expat's own DOCTYPE / entity hooks refuse as a backstop;
* total size and nesting depth are capped (:class:`XmlLimits`).

Pure: reads only the stream it is given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, NoReturn, Protocol
from xml.parsers import expat

from agent.errors import (
    EntityDeclarationError,
    ExternalDtdError,
    ExternalEntityError,
    ForbiddenDeclarationError,
    LimitExceededError,
    XmlSyntaxError,
)

_SEP = "\x1f"
_BOM = b"\xef\xbb\xbf"
_LEADING_WS = b" \t\r\n"
# How much of the prolog we keep to classify a DOCTYPE. The DOCTYPE is refused whatever its size;
# this only bounds how much of it we read to say *why*.
_PROLOG_SCAN_BYTES = 1 << 16


@dataclass(frozen=True, slots=True)
class QName:
    """A namespace-qualified name as it appeared: ``ns`` may be ``""`` (no namespace)."""

    ns: str
    local: str
    prefix: str | None = None

    @property
    def clark(self) -> str:
        return f"{{{self.ns}}}{self.local}" if self.ns else self.local


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """Caps applied while reading. Defaults suit edXML packages with very large scans."""

    max_bytes: int = 2 * 1024**3
    max_depth: int = 64
    chunk_size: int = 1 << 16


class XmlEvents(Protocol):
    """What a consumer of :func:`read_events` implements. Names are namespace-resolved."""

    def start(
        self,
        name: QName,
        attrs: Sequence[tuple[QName, str]],
        nsdecls: Sequence[tuple[str | None, str | None]],
    ) -> None: ...

    def end(self, name: QName) -> None: ...

    def text(self, data: str) -> None: ...

    def comment(self, data: str) -> None: ...

    def pi(self, target: str, data: str) -> None: ...


class EventSink:
    """A do-nothing :class:`XmlEvents`; subclass and override what you need."""

    def start(
        self,
        name: QName,
        attrs: Sequence[tuple[QName, str]],
        nsdecls: Sequence[tuple[str | None, str | None]],
    ) -> None:
        pass

    def end(self, name: QName) -> None:
        pass

    def text(self, data: str) -> None:
        pass

    def comment(self, data: str) -> None:
        pass

    def pi(self, target: str, data: str) -> None:
        pass


def _qname(raw: str) -> QName:
    parts = raw.split(_SEP)
    if len(parts) == 1:
        return QName("", parts[0], None)
    if len(parts) == 2:
        return QName(parts[0], parts[1], None)
    return QName(parts[0], parts[1], parts[2])


_DOCTYPE_RE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY_RE = re.compile(rb"<!ENTITY\s+(%\s+)?[^\s>]+\s+(SYSTEM|PUBLIC)\b", re.IGNORECASE)
_ANY_ENTITY_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)
_EXTERNAL_DTD_RE = re.compile(rb"<!DOCTYPE\s+[^\s\[>]+\s+(SYSTEM|PUBLIC)\b", re.IGNORECASE)


def refuse_doctype(prolog: bytes) -> NoReturn:
    """Raise the most specific error for a prolog that contains ``<!DOCTYPE``."""
    if _ENTITY_RE.search(prolog):
        raise ExternalEntityError(
            "the package declares an external entity (XXE): a DOCTYPE with <!ENTITY ... SYSTEM>",
            hint="edXML packages never carry a DOCTYPE; the sender's software or a man in the "
            "middle produced a hostile package. It was not parsed.",
        )
    if _ANY_ENTITY_RE.search(prolog):
        raise EntityDeclarationError(
            "the package declares XML entities in a DOCTYPE (entity expansion / billion laughs)",
            hint="edXML packages never carry a DOCTYPE or entity declarations. It was not parsed.",
        )
    if _EXTERNAL_DTD_RE.search(prolog):
        raise ExternalDtdError(
            "the package refers to an external DTD (<!DOCTYPE ... SYSTEM/PUBLIC ...>)",
            hint="edXML packages never carry a DOCTYPE; nothing was fetched and it was not parsed.",
        )
    raise ForbiddenDeclarationError(
        "the package carries a DOCTYPE declaration, which edXML never uses",
        hint="remove the <!DOCTYPE ...> line; DTDs are never processed.",
    )


class _Prolog:
    """Holds back the leading bytes until the root element starts, refusing any DOCTYPE."""

    def __init__(self) -> None:
        self.buf = b""
        self.done = False
        self.doctype = False

    def feed(self, chunk: bytes) -> bytes:
        """Return the bytes that are safe to hand to expat now (possibly none)."""
        if self.done:
            return chunk
        self.buf += chunk
        if not self.doctype:
            self.buf = _strip_leading(self.buf)
            state = _scan_prolog(self.buf)
            if state == "more" and len(self.buf) < _PROLOG_SCAN_BYTES:
                return b""
            self.doctype = state == "doctype"
        if self.doctype:
            if len(self.buf) < _PROLOG_SCAN_BYTES:
                return b""  # read on, to say which kind of DOCTYPE attack it is
            refuse_doctype(self.buf)
        self.done = True
        out, self.buf = self.buf, b""
        return out

    def finish(self) -> bytes:
        if self.doctype or (not self.done and _scan_prolog(self.buf) == "doctype"):
            refuse_doctype(self.buf)
        self.done = True
        out, self.buf = self.buf, b""
        return out


def _strip_leading(data: bytes) -> bytes:
    """Drop any mix of UTF-8 BOMs and whitespace in front of the document."""
    i = 0
    while i < len(data):
        if data.startswith(_BOM, i):
            i += len(_BOM)
        elif data[i] in _LEADING_WS:
            i += 1
        else:
            break
    return data[i:]


def _scan_prolog(buf: bytes) -> str:
    """Classify the prolog: ``doctype``, ``root`` (element or junk follows), or ``more``."""
    i, n = 0, len(buf)
    while i < n:
        if buf[i] in _LEADING_WS:
            i += 1
            continue
        for opener, closer in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if buf.startswith(opener, i):
                end = buf.find(closer, i + len(opener))
                if end < 0:
                    return "more"
                i = end + len(closer)
                break
        else:
            head = buf[i : i + 9].upper()
            if head == b"<!DOCTYPE":
                return "doctype"
            if len(head) < 9 and b"<!DOCTYPE".startswith(head):
                return "more"
            return "root"
    return "more"


class _Reader:
    def __init__(self, handlers: Sequence[XmlEvents], limits: XmlLimits) -> None:
        self.handlers = tuple(handlers)
        self.limits = limits
        self.depth = 0
        self.pending_ns: list[tuple[str | None, str | None]] = []
        p = expat.ParserCreate(encoding="UTF-8", namespace_separator=_SEP)
        p.namespace_prefixes = True
        p.ordered_attributes = True
        p.buffer_text = True  # one text event per run of text (up to buffer_size), not per line
        p.buffer_size = 1 << 16
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartNamespaceDeclHandler = self._ns
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._text
        p.CommentHandler = self._comment
        p.ProcessingInstructionHandler = self._pi
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._entity
        p.ExternalEntityRefHandler = self._external
        self.parser = p

    def _ns(self, prefix: str | None, uri: str | None) -> None:
        self.pending_ns.append((prefix, uri))

    def _start(self, raw: str, attrs: list[str]) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise LimitExceededError(
                f"XML nesting deeper than {self.limits.max_depth} levels",
                hint="edXML packages are a few levels deep; this one is hostile or broken.",
            )
        name = _qname(raw)
        pairs = [(_qname(attrs[i]), attrs[i + 1]) for i in range(0, len(attrs), 2)]
        decls, self.pending_ns = self.pending_ns, []
        for h in self.handlers:
            h.start(name, pairs, decls)

    def _end(self, raw: str) -> None:
        self.depth -= 1
        name = _qname(raw)
        for h in self.handlers:
            h.end(name)

    def _text(self, data: str) -> None:
        for h in self.handlers:
            h.text(data)

    def _comment(self, data: str) -> None:
        for h in self.handlers:
            h.comment(data)

    def _pi(self, target: str, data: str) -> None:
        for h in self.handlers:
            h.pi(target, data)

    def _doctype(self, *args: object) -> None:
        raise ForbiddenDeclarationError("the package carries a DOCTYPE declaration")

    def _entity(self, *args: object) -> None:
        raise EntityDeclarationError("the package declares XML entities")

    def _external(self, *args: object) -> int:
        raise ExternalEntityError("the package refers to an external entity")

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise XmlSyntaxError(
                f"the package is not well-formed XML: {expat.errors.messages[exc.code]} "
                f"at line {exc.lineno}, column {exc.offset}",
                hint="the file is truncated, not UTF-8, or not XML at all.",
            ) from exc


def read_events(
    stream: BinaryIO, handlers: Sequence[XmlEvents], limits: XmlLimits | None = None
) -> int:
    """Read ``stream`` to its end, dispatching events to ``handlers`` in order.

    Returns the number of bytes read. Raises only :class:`agent.errors.XmlSafetyError` subclasses
    (and whatever the handlers themselves raise).
    """
    limits = limits or XmlLimits()
    reader = _Reader(handlers, limits)
    prolog = _Prolog()
    total = 0
    while True:
        chunk = stream.read(limits.chunk_size)
        if not chunk:
            break
        total += len(chunk)
        if total > limits.max_bytes:
            raise LimitExceededError(
                f"the package is larger than the {limits.max_bytes} byte limit",
                hint="raise the package size limit in the configuration if this is legitimate.",
            )
        ready = prolog.feed(chunk)
        if ready:
            reader.feed(ready)
    rest = prolog.finish()
    if total == 0:
        raise XmlSyntaxError("the package is empty", hint="the file has no XML content.")
    reader.feed(rest, final=True)
    return total
