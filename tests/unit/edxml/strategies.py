"""Hypothesis strategies for the edXML model, derived from the same field specs the codec uses.

Text covers what real packages carry and what breaks naive XML code: Vietnamese with
diacritics (precomposed and decomposed), ``\\r`` and ``\\r\\n``, leading/trailing spaces,
``&``, ``<``, ``]]>``, C1 characters XML 1.0 allows, astral characters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import random
from typing import Any

from hypothesis import strategies as st

from agent.core.edxml.builder import AttachmentSource
from agent.core.edxml.model import MessageHeader, StatusHeader, TraceHeaderList
from agent.core.edxml.schema import FieldSpec, specs

VIETNAMESE = "ăâđêôơưĂÂĐÊÔƠƯáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
SPECIAL = ["\r", "\r\n", "\n", "\t", " ", "&", "<", ">", "]]>", '"', "'", "\x85", "\x7f", "😀",
           "e\u0301", "\ufffd", "&amp;", "<!--x-->"]

xml_char = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"
)
text = st.lists(
    st.one_of(xml_char, st.sampled_from(VIETNAMESE), st.sampled_from(SPECIAL)), max_size=12
).map("".join)
non_blank = st.tuples(text, st.sampled_from(VIETNAMESE + "0123456789.ABC"), text).map(
    lambda t: "".join(t)
)
naive_timestamps = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)
).map(lambda d: d.replace(microsecond=0))
ints = st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1)


def _scalar(spec: FieldSpec) -> st.SearchStrategy[Any]:
    kind = spec.value_type
    if kind is str:
        return non_blank if spec.required else text
    if kind is bool:
        return st.booleans()
    if kind is dt.datetime:
        return naive_timestamps
    if kind is dt.date:
        return st.dates()
    if issubclass(kind, enum.IntEnum):
        return st.sampled_from(list(kind))
    return ints


def _item(spec: FieldSpec) -> st.SearchStrategy[Any]:
    return model_of(spec.value_type) if spec.is_model else _scalar(spec)


def _field(spec: FieldSpec) -> st.SearchStrategy[Any]:
    if spec.kind in ("repeated", "wrapped"):
        min_size = 1 if spec.name == "recipients" else 0
        value: st.SearchStrategy[Any] = st.lists(
            _item(spec), min_size=min_size, max_size=3
        ).map(tuple)
    else:
        value = _item(spec)
    return st.none() | value if spec.optional else value


def model_of(cls: type) -> st.SearchStrategy[Any]:
    """Any instance of model class ``cls`` that the builder accepts."""
    fields = {s.name: st.deferred(lambda s=s: _field(s)) for s in specs(cls)}
    return st.builds(cls, **fields)


edoc_headers: st.SearchStrategy[MessageHeader] = model_of(MessageHeader)
trace_lists: st.SearchStrategy[TraceHeaderList | None] = st.none() | model_of(TraceHeaderList)
status_headers: st.SearchStrategy[StatusHeader] = model_of(StatusHeader)

# Sizes around the encoder block (196 608), the XML read block (65 536) and base64 quanta.
_SIZES = [0, 1, 2, 3, 4, 5, 57, 1000, 65_535, 65_536, 196_608, 196_609, 200_003]


@st.composite
def attachment_sets(draw: st.DrawFn, max_count: int = 3) -> list[tuple[AttachmentSource, bytes]]:
    """0..n attachments with unique ids, including empty and multi-block payloads."""
    count = draw(st.integers(min_value=0, max_value=max_count))
    out = []
    for i in range(count):
        size = draw(st.sampled_from(_SIZES))
        data = random.Random(draw(st.integers(0, 2**32))).randbytes(size)
        source = AttachmentSource.from_bytes(
            content_id=draw(st.sampled_from(["", "cid:"])) + f"id-{i}-{draw(st.uuids())}",
            name=draw(non_blank),
            content_type=draw(st.sampled_from(["application/pdf", "application/zip", "x/y"])),
            data=data,
            description=draw(st.none() | text),
            field_name=draw(st.none() | text),
            mime_type=draw(st.none() | text),
        )
        out.append((source, data))
    return out


def replace(obj: Any, **changes: Any) -> Any:
    return dataclasses.replace(obj, **changes)
