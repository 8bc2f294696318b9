"""The one-pass event consumer behind the parser: a small tree of the package, payloads streamed.

Everything except attachment payloads and the inside of ``Signature`` becomes a :class:`Node`
(headers are a few kilobytes; the element count and the text volume are capped). Each
``AttachmentEncoded/Attachment/ContentTransferEncoded`` payload goes straight from the XML reader
into a :class:`~agent.core.edxml.b64.Base64Decoder` writing to the caller's sink.

Elements are identified by (namespace, local name), never by prefix. Comments and processing
instructions are dropped, so an element's text is the concatenation of *all* its character data:
``<DocumentId>A<!---->B</DocumentId>`` reads ``AB``, exactly what a canonicaliser signs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from agent.core.edxml.b64 import Base64Decoder, Digest
from agent.core.edxml.model import QCVN_NS, XMLDSIG_NS, SignatureInfo
from agent.core.edxml.sinks import AttachmentSink
from agent.core.xmlstream import EventSink, QName, XmlLimits
from agent.errors import LimitExceededError, PackageError

SIGNATURE_NAMESPACES = (XMLDSIG_NS, QCVN_NS)
_PAYLOAD_PATH = ("edXML", "AttachmentEncoded", "Attachment", "ContentTransferEncoded")


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Caps applied while parsing. The defaults accept any package the live axis carries.

    * ``xml``: package size (2 GiB), nesting depth (64) and read block, see :class:`XmlLimits`;
    * ``max_attachments``: attachments per package (200);
    * ``max_attachment_bytes``: decoded bytes per attachment (1 GiB);
    * ``max_total_attachment_bytes``: decoded bytes of all attachments together (1.5 GiB);
    * ``max_elements``: elements outside payloads (50 000; a real header has ~100);
    * ``max_text_chars``: characters of text outside payloads (8 Mi).
    """

    xml: XmlLimits = XmlLimits()
    max_attachments: int = 200
    max_attachment_bytes: int = 1 << 30
    max_total_attachment_bytes: int = 3 << 29
    max_elements: int = 50_000
    max_text_chars: int = 8 << 20


class Node:
    """An element outside payloads: its name, its content (text and child elements, in order)."""

    __slots__ = ("ns", "local", "content", "digest", "signature")

    def __init__(self, ns: str, local: str) -> None:
        self.ns = ns
        self.local = local
        self.content: list[str | Node] = []
        self.digest: Digest | None = None  # set on a ContentTransferEncoded payload
        self.signature: SignatureInfo | None = None  # set on a Signature placeholder

    def is_(self, local: str, ns: str = QCVN_NS) -> bool:
        return self.local == local and self.ns == ns

    @property
    def children(self) -> Iterator[Node]:
        return (c for c in self.content if isinstance(c, Node))

    def named(self, local: str) -> list[Node]:
        return [c for c in self.children if c.is_(local)]

    def text(self) -> str:
        """All character data inside this element, in document order."""
        if all(isinstance(c, str) for c in self.content):
            return "".join(self.content)  # type: ignore[arg-type]
        return "".join(c if isinstance(c, str) else c.text() for c in self.content)


class _Payload:
    def __init__(self, node: Node, stream: BinaryIO, decoder: Base64Decoder) -> None:
        self.node = node
        self.stream = stream
        self.decoder = decoder


class TreeBuilder(EventSink):
    """Receives :mod:`agent.core.xmlstream` events; see the module docstring."""

    def __init__(self, sink: AttachmentSink, limits: ParseLimits) -> None:
        self.sink = sink
        self.limits = limits
        self.root: Node | None = None
        self.stack: list[Node] = []
        self.signatures: list[tuple[Node, Node | None, str]] = []  # (node, parent, path)
        self.skip = 0  # depth inside a Signature
        self.elements = 0
        self.chars = 0
        self.attachments = 0
        self.payload_bytes = 0
        self.payload: _Payload | None = None

    # --- events ---------------------------------------------------------------------------------

    def start(
        self,
        name: QName,
        attrs: Sequence[tuple[QName, str]],
        nsdecls: Sequence[tuple[str | None, str | None]],
    ) -> None:
        if self.skip:
            self.skip += 1
            return
        if self.payload is not None:
            raise PackageError(
                f"attachment {self.attachments} has an element <{name.local}> inside its base64 "
                "payload (ContentTransferEncoded)",
                hint="the payload must be base64 text only; the package is damaged or hostile.",
            )
        node = self._new_node(name)
        if self.stack:
            self.stack[-1].content.append(node)
        self.stack.append(node)
        if name.local == "Signature" and name.ns in SIGNATURE_NAMESPACES:
            self.stack.pop()
            parent = self.stack[-1] if self.stack else None
            self.signatures.append((node, parent, "/".join(n.local for n in self.stack)))
            self.skip = 1
        elif self._at_payload():
            self._open_payload(node)

    def end(self, name: QName) -> None:
        if self.skip:
            self.skip -= 1
            return
        node = self.stack.pop()
        if self.payload is not None and self.payload.node is node:
            self._close_payload()

    def text(self, data: str) -> None:
        if self.skip or not self.stack:
            return
        if self.payload is not None:
            written = self.payload.decoder.feed(data)
            if written:
                self._count_payload(written)
            return
        self.chars += len(data)
        if self.chars > self.limits.max_text_chars:
            raise LimitExceededError(
                f"the package has more than {self.limits.max_text_chars} characters of text "
                "outside attachment payloads",
                hint="an edXML header is a few kilobytes; the package is hostile or broken.",
            )
        self.stack[-1].content.append(data)

    # --- helpers --------------------------------------------------------------------------------

    def _new_node(self, name: QName) -> Node:
        self.elements += 1
        if self.elements > self.limits.max_elements:
            raise LimitExceededError(
                f"the package has more than {self.limits.max_elements} XML elements",
                hint="an edXML header has about a hundred; the package is hostile or broken.",
            )
        if self.root is None:
            if not (name.local == "edXML" and name.ns == QCVN_NS):
                raise _not_edxml(name)
            node = Node(name.ns, name.local)
            self.root = node
            return node
        if self._is_attachment(name):
            self.attachments += 1
            if self.attachments > self.limits.max_attachments:
                raise LimitExceededError(
                    f"the package has more than {self.limits.max_attachments} attachments",
                    hint="raise ParseLimits.max_attachments if this is legitimate.",
                )
        return Node(name.ns, name.local)

    def _is_attachment(self, name: QName) -> bool:
        return name.local == "Attachment" and name.ns == QCVN_NS and self._stack_is(2)

    def _at_payload(self) -> bool:
        return self._stack_is(4)

    def _stack_is(self, depth: int) -> bool:
        """Whether the open elements are exactly the first ``depth`` steps to a payload."""
        return len(self.stack) == depth and all(
            n.ns == QCVN_NS and n.local == want
            for n, want in zip(self.stack, _PAYLOAD_PATH, strict=False)
        )

    def _open_payload(self, node: Node) -> None:
        attachment = self.stack[-2]
        if any(c.digest is not None for c in attachment.children):
            raise PackageError(
                f"attachment {self.attachments} has more than one ContentTransferEncoded payload",
                hint="each Attachment carries exactly one payload; the package is damaged.",
            )
        content_id = bare_content_id(_first_text(attachment, "ContentId"))
        declared = _first_text(attachment, "AttachmentName")
        index = self.attachments - 1
        stream = self.sink.open(index, content_id, declared)
        label = f"#{index + 1} ({declared or content_id or 'unnamed'})"
        decoder = Base64Decoder(stream, label=label, max_bytes=self.limits.max_attachment_bytes)
        self.payload = _Payload(node, stream, decoder)
        node.digest = Digest(0, "")  # marks the payload as seen while it streams

    def _close_payload(self) -> None:
        payload, self.payload = self.payload, None
        if payload is None:
            return
        try:
            payload.node.digest = payload.decoder.finish()
        finally:
            payload.stream.close()

    def _count_payload(self, written: int) -> None:
        self.payload_bytes += written
        if self.payload_bytes > self.limits.max_total_attachment_bytes:
            raise LimitExceededError(
                f"the attachments together exceed the {self.limits.max_total_attachment_bytes} "
                "byte limit",
                hint="raise ParseLimits.max_total_attachment_bytes if this is legitimate.",
            )

    def abort(self) -> None:
        """Close a payload stream left open by an error (the caller discards its content)."""
        if self.payload is not None:
            stream, self.payload = self.payload.stream, None
            stream.close()


def bare_content_id(value: str) -> str:
    """``cid:abc``, ``<abc>``, `` abc `` → ``abc`` (the .NET variant omits ``cid:``, §3.4)."""
    value = value.strip()
    if value[:4].lower() == "cid:":
        value = value[4:].strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value


def _first_text(node: Node, local: str) -> str:
    found = node.named(local)
    return found[0].text() if found else ""


def _not_edxml(name: QName) -> PackageError:
    hint = "the axis carries edXML in the namespace http://www.mic.gov.vn/TBT/QCVN_102_2016."
    if name.ns in ("http://www.e-doc.vn/Schema/", "http://www.go.vn/eDoc"):
        hint = f"{name.ns} is a legacy / non-axis edXML dialect, not QCVN 102 (AXIS.md §3.1)."
    where = f"in namespace {name.ns}" if name.ns else "without a namespace"
    return PackageError(
        f"not an edXML package: the root element is <{name.local}> {where}", hint=hint
    )
