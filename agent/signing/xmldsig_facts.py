"""What the XML-signature observer records while a package streams past (no judgement here).

Bounded: values are capped (:data:`MAX_VALUE_CHARS`, :data:`MAX_SIGNED_INFO_CHARS`) so a hostile
package cannot make the observer hold more than a few MB, whatever its attachments weigh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.core.c14n import Attrs, NsDecls, NsMap
from agent.core.xmlstream import QName, XmlEvents
from agent.errors import VerificationError
from agent.signing.xmldsig_alg import DSIG_NS, QCVN_NS

MAX_VALUE_CHARS = 1 << 20  # SignatureValue, DigestValue, one certificate, a header value
MAX_SIGNED_INFO_CHARS = 1 << 18
HEADER_PATH = ("edXML", "edXMLEnvelope", "edXMLHeader")
SIGNATURE_NAMESPACES = (DSIG_NS, QCVN_NS)


def is_signature(name: QName) -> bool:
    """A ``Signature`` element in the XMLDSig or QCVN namespace (AXIS.md §3.5)."""
    return name.local == "Signature" and name.ns in SIGNATURE_NAMESPACES


def is_header_signature(path: Sequence[QName]) -> bool:
    """True for ``edXML/edXMLEnvelope/edXMLHeader/Signature`` (Signature in either namespace)."""
    if len(path) != 4:
        return False
    head, last = path[:3], path[3]
    if any(q.ns != QCVN_NS or q.local != local for q, local in zip(head, HEADER_PATH, strict=True)):
        return False
    return is_signature(last)


def is_header_signed_info(path: Sequence[QName]) -> bool:
    return len(path) == 5 and is_header_signature(path[:4]) and path[4].local == "SignedInfo"


@dataclass
class ReferenceFacts:
    uri: str | None = None
    transforms: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    digest_method: str | None = None
    digest_value: str = ""


@dataclass
class TraceFacts:
    organ_id: str | None = None
    timestamp: str | None = None


@dataclass(frozen=True, slots=True)
class StartEvent:
    name: QName
    attrs: Attrs
    nsdecls: NsDecls


@dataclass(frozen=True, slots=True)
class EndEvent:
    name: QName


@dataclass(frozen=True, slots=True)
class TextEvent:
    data: str


@dataclass(frozen=True, slots=True)
class PiEvent:
    target: str
    data: str


Event = StartEvent | EndEvent | TextEvent | PiEvent


def replay(events: Sequence[Event], sink: XmlEvents) -> None:
    """Send recorded events to ``sink`` in order."""
    for event in events:
        if isinstance(event, StartEvent):
            sink.start(event.name, event.attrs, event.nsdecls)
        elif isinstance(event, EndEvent):
            sink.end(event.name)
        elif isinstance(event, TextEvent):
            sink.text(event.data)
        else:
            sink.pi(event.target, event.data)


class SignedInfoRecord:
    """SignedInfo's events, with the namespace context and xml:* attributes in scope there."""

    def __init__(self, context: NsMap, xml_attrs: Attrs) -> None:
        self.context = context
        self.xml_attrs = xml_attrs
        self.events: list[Event] = []
        self.chars = 0
        self.overflow = False

    def _add(self, event: Event, chars: int) -> None:
        self.chars += chars
        if self.chars > MAX_SIGNED_INFO_CHARS:
            self.overflow = True
            self.events.clear()
        elif not self.overflow:
            self.events.append(event)

    def start(self, name: QName, attrs: Attrs, nsdecls: NsDecls) -> None:
        size = sum(len(v) for _, v in attrs) + 64
        self._add(StartEvent(name, tuple(attrs), tuple(nsdecls)), size)

    def end(self, name: QName) -> None:
        self._add(EndEvent(name), 16)

    def text(self, data: str) -> None:
        self._add(TextEvent(data), len(data))

    def comment(self, data: str) -> None:
        """Comments are not part of the canonical form of SignedInfo."""

    def pi(self, target: str, data: str) -> None:
        self._add(PiEvent(target, data), len(data) + 16)


@dataclass
class SignatureFacts:
    """What the observer saw; judged by :func:`agent.signing.xmldsig_verify.judge`."""

    signatures: int = 0  # Signature elements anywhere, in either namespace
    misplaced: list[str] = field(default_factory=list)  # paths of Signatures out of place
    signature_ns: str | None = None  # namespace of the header Signature
    problems: list[VerificationError] = field(default_factory=list)
    signed_info_count: int = 0
    c14n_method: str | None = None
    c14n_prefixes: frozenset[str] = frozenset()
    signature_method: str | None = None
    references: list[ReferenceFacts] = field(default_factory=list)
    signed_info: SignedInfoRecord | None = None
    signature_values: list[str] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)
    key_value: bool = False
    signature_indented: bool = False  # whitespace between the Signature's elements
    comment_in: str | None = None  # path of the first value holding a comment
    from_organ_id: str | None = None
    traces: list[TraceFacts] = field(default_factory=list)
    digest: tuple[bool, str, bytes] | None = None  # (exclusive, hashlib name, value)

    @property
    def signed(self) -> bool:
        return self.signatures > 0
