"""Build → parse gives back the model, for any model the builder accepts (hypothesis)."""

from __future__ import annotations

import hashlib
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.core.edxml import (
    AttachmentSource,
    EdocPackage,
    MemorySink,
    MessageHeader,
    ParseLimits,
    StatusHeader,
    StatusPackage,
    TraceHeaderList,
    build_edoc,
    build_status,
    parse_package,
)
from agent.core.xmlstream import XmlLimits
from tests.unit.edxml import strategies as s
from tests.unit.edxml.helpers import sample_header, sample_trace

read_blocks = st.sampled_from([7, 64, 4096, 1 << 16])


class _Trickle(io.BytesIO):
    """A source that hands out at most 1 000 bytes per read, like a pipe or a socket."""

    def read(self, size: int | None = -1, /) -> bytes:
        return super().read(1000 if size is None or size < 0 else min(size, 1000))


@settings(max_examples=150)
@given(s.edoc_headers, s.trace_lists, read_blocks)
def test_edoc_header_round_trip(
    header: MessageHeader, trace: TraceHeaderList | None, block: int
) -> None:
    """Any header and trace list survive build → parse unchanged, whatever the read block."""
    out = io.BytesIO()
    build_edoc(out, header, trace)
    limits = ParseLimits(xml=XmlLimits(chunk_size=block))
    package = parse_package(io.BytesIO(out.getvalue()), limits=limits)
    assert isinstance(package, EdocPackage)
    assert (header, trace) == (package.header, package.trace_list)


@settings(max_examples=150)
@given(s.status_headers, read_blocks)
def test_status_round_trip(header: StatusHeader, block: int) -> None:
    """Any status header survives build → parse unchanged."""
    out = io.BytesIO()
    build_status(out, header)
    package = parse_package(
        io.BytesIO(out.getvalue()), limits=ParseLimits(xml=XmlLimits(chunk_size=block))
    )
    assert StatusPackage(header=header) == package


@settings(max_examples=40)
@given(s.attachment_sets(), read_blocks, st.booleans())
def test_attachments_round_trip(
    attachments: list[tuple[AttachmentSource, bytes]], block: int, trickle: bool
) -> None:
    """0..n attachments (empty, multi-block) come back byte for byte, with size and SHA-256.

    The source may return short reads and the parser may read in tiny blocks: base64 quanta
    split across reads on both sides.
    """
    sources = [
        AttachmentSource(
            content_id=src.content_id, name=src.name, content_type=src.content_type,
            open=(lambda d=data: _Trickle(d)) if trickle else src.open,
            description=src.description, field_name=src.field_name, mime_type=src.mime_type,
        )
        for src, data in attachments
    ]
    out = io.BytesIO()
    report = build_edoc(out, sample_header(), sample_trace(), sources)
    sink = MemorySink()
    package = parse_package(
        io.BytesIO(out.getvalue()), sink, limits=ParseLimits(xml=XmlLimits(chunk_size=block))
    )
    assert isinstance(package, EdocPackage)
    expected = [
        (
            src.content_id.removeprefix("cid:"), src.name, src.description, src.field_name,
            src.mime_type, src.content_type, len(data), hashlib.sha256(data).hexdigest(), data,
        )
        for src, data in attachments
    ]
    actual = [
        (
            a.content_id, a.attachment_name, a.description, a.field_name, a.mime_type,
            a.content_type, a.size, a.sha256, sink.payloads[a.index],
        )
        for a in package.attachments
    ]
    assert expected == actual
    assert [(b.size, b.sha256) for b in report.attachments] == [a[6:8] for a in expected]
    assert [(r.content_id, r.attachment_name) for r in package.manifest] == [
        (a[0], a[1]) for a in expected
    ]
