"""What ``sendEdoc`` needs to know about a package: its kind, sender, recipients and labels.

Read with the edXML engine's own pieces (:class:`~agent.core.edxml.tree.TreeBuilder` over
:func:`~agent.core.xmlstream.read_events`, then :func:`~agent.core.edxml.decode.decode_model`) from
the package *head* only (see :mod:`agent.sandbox.envelope`), so a 300 KB or a 500 MB package costs
the same here. The attachment section has already been checked to be well-formed XML by the scan.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from agent.core.edxml.decode import decode_model, missing
from agent.core.edxml.model import MessageHeader, StatusHeader, TraceHeaderList
from agent.core.edxml.sinks import DiscardSink
from agent.core.edxml.tree import Node, ParseLimits, TreeBuilder
from agent.core.xmlstream import read_events
from agent.errors import InvalidValueError

_HEADER = "edXML/edXMLEnvelope/edXMLHeader"


@dataclass(frozen=True, slots=True)
class PackageFacts:
    """Routing and listing facts of one package."""

    header: MessageHeader | StatusHeader
    trace: TraceHeaderList | None = None

    @property
    def is_status(self) -> bool:
        return isinstance(self.header, StatusHeader)

    @property
    def message_type(self) -> str:
        return "status" if self.is_status else "edoc"

    @property
    def sender(self) -> str:
        return self.header.sender.organ_id

    @property
    def recipients(self) -> tuple[str, ...]:
        """Edoc: each ``To/OrganId`` once, in order. Status: ``ResponseFor/OrganId`` (§4.1)."""
        if isinstance(self.header, StatusHeader):
            return (self.header.response_for.organ_id,)
        return tuple(dict.fromkeys(to.organ_id for to in self.header.recipients))

    @property
    def document_id(self) -> str:
        if isinstance(self.header, StatusHeader):
            return self.header.response_for.document_id
        return self.header.document_id

    @property
    def notation(self) -> str:
        """số/ký hiệu shown as ``notation`` in getSentEdocList."""
        if isinstance(self.header, StatusHeader):
            return self.header.response_for.code or ""
        return self.header.code.full if self.header.code else ""

    @property
    def title(self) -> str:
        """trích yếu (edoc) or ``StatusCode Description`` (status)."""
        if isinstance(self.header, StatusHeader):
            return f"{self.header.status_code} {self.header.description or ''}".strip()
        return self.header.subject or ""


def read_facts(head: bytes) -> PackageFacts:
    """Decode the ``MessageHeader`` of a package head; raise :class:`ProtocolError` subclasses."""
    builder = TreeBuilder(DiscardSink(), ParseLimits())
    read_events(io.BytesIO(head), [builder])
    root = builder.root
    assert root is not None  # read_events raised on an empty document
    envelope = _only(root, "edXMLEnvelope", "edXML")
    message_parent = _only(envelope, "edXMLHeader", "edXML/edXMLEnvelope")
    message = _only(message_parent, "MessageHeader", _HEADER)
    path = f"{_HEADER}/MessageHeader"
    if message.named("StatusCode"):
        return PackageFacts(decode_model(StatusHeader, message, path))
    header = decode_model(MessageHeader, message, path)
    if not header.recipients:
        raise missing(f"{path}/To")
    traces = message_parent.named("TraceHeaderList")
    if not traces:
        return PackageFacts(header)
    trace = decode_model(TraceHeaderList, traces[0], f"{_HEADER}/TraceHeaderList")
    return PackageFacts(header, trace)


def _only(node: Node, local: str, path: str) -> Node:
    found = node.named(local)
    if not found:
        raise missing(f"{path}/{local}")
    if len(found) > 1:
        raise InvalidValueError(f"{path}/{local} appears {len(found)} times; one is allowed")
    return found[0]
