"""What the sandbox does to a package between sender and recipient (AXIS.md §9, §12.5).

``preserve``: the recipient gets the stored bytes unchanged.

``rebuild`` (the default, as the national axis does): the envelope is parsed and re-serialised:

* children of ``MessageHeader`` (and of the elements below it) come out in the canonical order of
  §3.2, taken from :mod:`agent.core.edxml.schema`; unknown elements follow, in their order;
* an empty ``<edXML:ResponseFor/>`` and ``<edXML:Direction>false</edXML:Direction>`` are added
  when absent (edoc only);
* a ``TraceHeader`` (``OrganId`` when configured, and the receive ``Timestamp``) is appended;
* an xmldsig ``Signature`` is moved into the QCVN namespace; comments inside the envelope go;
* the envelope is re-indented.

Everything after the envelope (the ``AttachmentEncoded`` section, whatever its size) is copied
byte for byte from the stored file, so attachment payloads are never decoded, re-encoded or held in
memory.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from lxml import etree

from agent.core.edxml.model import (
    QCVN_NS,
    XMLDSIG_NS,
    MessageHeader,
    StatusHeader,
    TraceHeaderList,
)
from agent.core.edxml.schema import specs
from agent.errors import MissingElementError, XmlSyntaxError

_Q = f"{{{QCVN_NS}}}"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class TransitMode(StrEnum):
    REBUILD = "rebuild"
    PRESERVE = "preserve"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True,
        remove_comments=True, remove_pis=True,
    )


def rebuild_head(head: bytes, *, edoc: bool, now: dt.datetime, trace_organ_id: str) -> bytes:
    """Re-serialise the head document as the axis does; return it without the root's end tag."""
    try:
        root = etree.fromstring(head, _parser())
    except etree.XMLSyntaxError as exc:  # the scan accepted it, so this is not expected
        raise XmlSyntaxError(f"the package header cannot be re-serialised: {exc}") from exc
    header = root.find(f"{_Q}edXMLEnvelope/{_Q}edXMLHeader")
    message = header.find(f"{_Q}MessageHeader") if header is not None else None
    if header is None or message is None:
        raise MissingElementError("the package has no edXMLEnvelope/edXMLHeader/MessageHeader")
    if edoc:
        _augment(message)
        _canonicalise(message, MessageHeader)
        _append_trace(header, message, now, trace_organ_id)
    else:
        _canonicalise(message, StatusHeader)
    _signature_into_qcvn(header)
    etree.indent(root, space="  ")
    envelope = root[-1]
    envelope.tail = None
    text: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return _DECLARATION + text[: text.rindex(b"</")]


def _canonicalise(elem: etree._Element, cls: type) -> None:
    """Order ``elem``'s children as model ``cls`` declares them, recursing into sub-models."""
    fields = {s.wire: (i, s) for i, s in enumerate(specs(cls))}
    unknown = len(fields)

    def key(child: etree._Element) -> int:
        qname = etree.QName(child)
        known = fields.get(qname.localname) if qname.namespace == QCVN_NS else None
        return known[0] if known else unknown

    children = sorted(elem, key=key)
    elem[:] = children
    for child in children:
        found = fields.get(etree.QName(child).localname)
        if found is None or not found[1].is_model:
            continue
        spec = found[1]
        if spec.kind == "wrapped":
            for item in child:
                _canonicalise(item, spec.value_type)
        else:
            _canonicalise(child, spec.value_type)


def _augment(message: etree._Element) -> None:
    """Add the empty ResponseFor and ``Direction=false`` the axis adds when they are absent."""
    if message.find(f"{_Q}ResponseFor") is None:
        etree.SubElement(message, f"{_Q}ResponseFor")
    other = message.find(f"{_Q}OtherInfo")
    if other is None:
        other = etree.SubElement(message, f"{_Q}OtherInfo")
    if other.find(f"{_Q}Direction") is None:
        etree.SubElement(other, f"{_Q}Direction").text = "false"


def _append_trace(
    header: etree._Element, message: etree._Element, now: dt.datetime, organ_id: str
) -> None:
    traces = header.find(f"{_Q}TraceHeaderList")
    if traces is None:
        traces = etree.Element(f"{_Q}TraceHeaderList")
        message.addnext(traces)
    trace = etree.SubElement(traces, f"{_Q}TraceHeader")
    if organ_id:
        etree.SubElement(trace, f"{_Q}OrganId").text = organ_id
    etree.SubElement(trace, f"{_Q}Timestamp").text = now.strftime("%Y/%m/%d %H:%M:%S")
    _canonicalise(traces, TraceHeaderList)  # the new TraceHeader goes before Bussiness


def _signature_into_qcvn(header: etree._Element) -> None:
    """Move xmldsig ``Signature`` elements into the QCVN namespace, unprefixed as the axis writes
    them (``<Signature>`` under the root's default namespace), last in their parent (§3.5).

    Built with ``SubElement`` in place: moving a built element into the tree would make lxml
    reuse the ``edXML:`` prefix instead."""
    for sig in list(header.iter(f"{{{XMLDSIG_NS}}}Signature")):
        parent = sig.getparent()
        assert parent is not None  # a Signature inside edXMLHeader has a parent
        moved = etree.SubElement(parent, f"{_Q}Signature", dict(sig.attrib), nsmap={None: QCVN_NS})
        _copy_children(sig, moved)
        parent.remove(sig)


def _copy_children(src: etree._Element, dest: etree._Element) -> None:
    dest.text = src.text
    for child in src:
        qname = etree.QName(child)
        tag = _Q + qname.localname if qname.namespace == XMLDSIG_NS else child.tag
        copy = etree.SubElement(dest, tag, dict(child.attrib))
        copy.tail = child.tail
        _copy_children(child, copy)
