"""Build edoc and status packages in the exact layout of AXIS.md §3.1, canonical order of §3.2.

Output goes to any writable binary stream: UTF-8 with an XML declaration, indented like the example
files, the root ``edXML`` in the default namespace, everything in the envelope prefixed ``edXML:``,
``AttachmentEncoded`` and its children unprefixed except ``edXML:ContentTransferEncoded`` (which
re-declares the prefix). Attachment bytes stream from their sources into one-line base64; nothing
holds a whole file. Pure: sources are opened through the callables the caller supplies.

**Signature placement.** ``signature=`` takes a complete ``<Signature>`` element (bytes, well-formed
on its own) and inserts it verbatim as the last child of ``edXMLHeader``, immediately after the end
tag of the element before it, with no whitespace added. Building with and without it gives
outputs that differ by exactly that fragment, at :attr:`BuildReport.signature_offset`; an
enveloped-signature transform over the signed package therefore sees the unsigned bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from agent.core.edxml.b64 import Writable, encode_stream
from agent.core.edxml.model import (
    QCVN_NS,
    ManifestReference,
    MessageHeader,
    StatusHeader,
    TraceHeaderList,
)
from agent.core.edxml.signature import check_signature_fragment
from agent.core.edxml.tree import bare_content_id
from agent.core.edxml.values import check_text
from agent.core.edxml.xmlwrite import INDENT, Lines, emit_model
from agent.errors import InvalidValueError

_PREFIX = "edXML:"
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<edXML xmlns="{QCVN_NS}">\n'
    f'{INDENT}<edXML:edXMLEnvelope xmlns:edXML="{QCVN_NS}">\n'
    f"{INDENT * 2}<edXML:edXMLHeader>\n"
)
_HEADER_END = f"{INDENT * 2}</edXML:edXMLHeader>\n"
_ENVELOPE_END = f"{INDENT}</edXML:edXMLEnvelope>\n"
_PAYLOAD_OPEN = f'{INDENT * 3}<edXML:ContentTransferEncoded xmlns:edXML="{QCVN_NS}">'
_PAYLOAD_CLOSE = f"</edXML:ContentTransferEncoded>\n{INDENT * 2}</Attachment>\n"
_ROOT_END = "</edXML>\n"


@dataclass(frozen=True, slots=True)
class AttachmentSource:
    """One file to attach. ``content_id`` is a bare id you generate (e.g. ``str(uuid4())``);
    it is written as ``cid:<id>`` (a ``cid:`` you include is not doubled). ``open`` returns a fresh
    binary stream each time it is called; the builder reads it once and closes it."""

    content_id: str
    name: str
    content_type: str
    open: Callable[[], BinaryIO]
    description: str | None = None
    field_name: str | None = None
    mime_type: str | None = None

    @classmethod
    def from_bytes(
        cls, content_id: str, name: str, content_type: str, data: bytes, **extra: str | None
    ) -> AttachmentSource:
        """A source over bytes already in memory (tests, small generated files)."""
        return cls(
            content_id=content_id,
            name=name,
            content_type=content_type,
            open=lambda: io.BytesIO(data),
            **extra,
        )


@dataclass(frozen=True, slots=True)
class BuiltAttachment:
    index: int
    content_id: str  # bare
    name: str
    size: int  # bytes read from the source
    sha256: str  # of those bytes, lower-case hex


@dataclass(frozen=True, slots=True)
class BuildReport:
    bytes_written: int
    signature_offset: int  # where the Signature fragment is (or would be) in the output
    attachments: tuple[BuiltAttachment, ...] = ()


class _Counting:
    def __init__(self, out: Writable) -> None:
        self.out = out
        self.count = 0

    def write(self, data: bytes, /) -> int:
        self.out.write(data)
        self.count += len(data)
        return len(data)


def build_edoc(
    out: Writable,
    header: MessageHeader,
    trace_list: TraceHeaderList | None,
    attachments: Sequence[AttachmentSource] = (),
    *,
    signature: bytes | None = None,
) -> BuildReport:
    """Write an edoc package to ``out``. Raises :class:`InvalidValueError` naming the field."""
    if not header.recipients:
        raise InvalidValueError("MessageHeader/To is required: a package needs a recipient")
    ids = _check_sources(attachments)
    head = Lines()
    emit_model(head, header, _PREFIX + "MessageHeader", 3, _PREFIX, "MessageHeader")
    if trace_list is not None:
        emit_model(head, trace_list, _PREFIX + "TraceHeaderList", 3, _PREFIX, "TraceHeaderList")
    tail = _HEADER_END + _manifest(attachments, ids) + _ENVELOPE_END
    writer = _Counting(out)
    offset = _write_envelope(writer, head.text(), tail, signature)
    built = _write_attachments(writer, attachments, ids)
    writer.write(_ROOT_END.encode())
    return BuildReport(writer.count, offset, built)


def build_status(
    out: Writable, header: StatusHeader, *, signature: bytes | None = None
) -> BuildReport:
    """Write a status package (AXIS.md §4.1) to ``out``."""
    head = Lines()
    emit_model(head, header, _PREFIX + "MessageHeader", 3, _PREFIX, "MessageHeader")
    writer = _Counting(out)
    offset = _write_envelope(writer, head.text(), _HEADER_END + _ENVELOPE_END, signature)
    writer.write(_ROOT_END.encode())
    return BuildReport(writer.count, offset)


def _write_envelope(writer: _Counting, head: str, tail: str, signature: bytes | None) -> int:
    """Write the envelope, the signature fragment (if any) going where ``head`` ends."""
    if signature is not None:
        check_signature_fragment(signature)
    data = (_HEAD + head).encode()
    # The fragment goes right after the previous sibling's end tag, before its line break.
    cut = len(data) - 1
    writer.write(data[:cut])
    offset = writer.count
    if signature:
        writer.write(signature)
    writer.write(data[cut:] + tail.encode())
    return offset


def _check_sources(attachments: Sequence[AttachmentSource]) -> list[str]:
    """Check every attachment's metadata before anything is written; return the bare ids."""
    ids = []
    for i, source in enumerate(attachments):
        path = f"Attachment[{i + 1}]"
        cid = bare_content_id(source.content_id)
        if not cid or any(c.isspace() or c in "<>" for c in cid):
            raise InvalidValueError(
                f"{path}/ContentId {source.content_id!r} is not a usable content id",
                hint="use a fresh UUID (without spaces or angle brackets) for each attachment.",
            )
        if cid in ids:
            raise InvalidValueError(f"{path}/ContentId {cid} is used by two attachments")
        check_text(cid, f"{path}/ContentId")
        for tag, value in _metadata(source):
            if value is not None:
                check_text(value, f"{path}/{tag}")
        ids.append(cid)
    return ids


def _metadata(source: AttachmentSource) -> tuple[tuple[str, str | None], ...]:
    """The Attachment children before the payload, in the order VNPT's library writes them."""
    return (
        ("AttachmentName", source.name),
        ("Description", source.description),
        ("FieldName", source.field_name),
        ("MimeType", source.mime_type),
        ("ContentType", source.content_type),
    )


def _manifest(attachments: Sequence[AttachmentSource], ids: list[str]) -> str:
    lines = Lines()
    lines.open(2, _PREFIX + "edXMLBody")
    if not attachments:
        lines.empty(3, _PREFIX + "edXMLManifest", ' version="1.0"')
    else:
        lines.open(3, _PREFIX + "edXMLManifest", ' version="1.0"')
        for i, (source, cid) in enumerate(zip(attachments, ids, strict=True)):
            ref = ManifestReference(
                content_id="cid:" + cid,
                content_type=source.content_type,
                description=source.description,
                attachment_name=source.name,
            )
            emit_model(lines, ref, _PREFIX + "Reference", 4, _PREFIX, f"Reference[{i + 1}]")
        lines.close(3, _PREFIX + "edXMLManifest")
    lines.close(2, _PREFIX + "edXMLBody")
    return lines.text()


def _write_attachments(
    writer: _Counting, attachments: Sequence[AttachmentSource], ids: list[str]
) -> tuple[BuiltAttachment, ...]:
    if not attachments:
        writer.write(f"{INDENT}<AttachmentEncoded/>\n".encode())
        return ()
    writer.write(f"{INDENT}<AttachmentEncoded>\n".encode())
    built = []
    for i, (source, cid) in enumerate(zip(attachments, ids, strict=True)):
        writer.write(_attachment_head(source, cid).encode())
        with source.open() as stream:
            digest = encode_stream(stream, writer)
        writer.write(_PAYLOAD_CLOSE.encode())
        built.append(BuiltAttachment(i, cid, source.name, digest.size, digest.sha256))
    writer.write(f"{INDENT}</AttachmentEncoded>\n".encode())
    return tuple(built)


def _attachment_head(source: AttachmentSource, cid: str) -> str:
    lines = Lines()
    lines.open(2, "Attachment")
    lines.leaf(3, "ContentId", "cid:" + cid)
    for tag, value in _metadata(source):
        if value is not None:
            lines.leaf(3, tag, value)
    return lines.text() + _PAYLOAD_OPEN
