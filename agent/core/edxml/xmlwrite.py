"""Model → indented XML text, in the element order and value formats of the field specs.

Two spaces per level, one element per line, text inline, ``<X/>`` for an empty element: the layout
of the example files (AXIS.md §15). ``None`` fields and empty repeated fields are omitted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from agent.core.edxml.schema import FieldSpec, specs
from agent.core.edxml.values import escape_text, format_scalar
from agent.errors import InvalidValueError

INDENT = "  "
_MAX_INT = 10**18


class Lines:
    """Accumulates the lines of a document; ``prefix`` is ``"edXML:"`` or ``""``."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def leaf(self, depth: int, tag: str, text: str) -> None:
        if text:
            self.parts.append(f"{INDENT * depth}<{tag}>{escape_text(text)}</{tag}>\n")
        else:
            self.parts.append(f"{INDENT * depth}<{tag}/>\n")

    def open(self, depth: int, tag: str, attrs: str = "") -> None:
        self.parts.append(f"{INDENT * depth}<{tag}{attrs}>\n")

    def close(self, depth: int, tag: str) -> None:
        self.parts.append(f"{INDENT * depth}</{tag}>\n")

    def empty(self, depth: int, tag: str, attrs: str = "") -> None:
        self.parts.append(f"{INDENT * depth}<{tag}{attrs}/>\n")

    def text(self) -> str:
        return "".join(self.parts)


def emit_model(lines: Lines, obj: Any, tag: str, depth: int, prefix: str, path: str) -> None:
    """Write ``obj`` (a model instance) as element ``tag`` with its fields as children."""
    present = []
    for spec in specs(type(obj)):
        value = getattr(obj, spec.name)
        sub = f"{path}/{spec.wire}"
        if value is None or (spec.kind == "repeated" and not value):
            if spec.required:
                raise InvalidValueError(f"{sub} is required but missing")
            continue
        present.append((spec, value, sub))
    if not present:
        lines.empty(depth, tag)
        return
    lines.open(depth, tag)
    for spec, value, sub in present:
        _emit_field(lines, spec, value, depth + 1, prefix, sub)
    lines.close(depth, tag)


def _emit_field(
    lines: Lines, spec: FieldSpec, value: Any, depth: int, prefix: str, path: str
) -> None:
    tag = prefix + spec.wire
    if spec.kind == "repeated":
        for i, item in enumerate(_sequence(value, path)):
            _emit_value(lines, spec, item, tag, depth, prefix, f"{path}[{i + 1}]")
    elif spec.kind == "wrapped":
        items = _sequence(value, path)
        if not items:
            lines.empty(depth, tag)
            return
        lines.open(depth, tag)
        item_tag = prefix + (spec.item or "")
        for i, item in enumerate(items):
            sub = f"{path}/{spec.item}[{i + 1}]"
            _emit_value(lines, spec, item, item_tag, depth + 1, prefix, sub)
        lines.close(depth, tag)
    else:
        _emit_value(lines, spec, value, tag, depth, prefix, path)


def _emit_value(
    lines: Lines, spec: FieldSpec, value: Any, tag: str, depth: int, prefix: str, path: str
) -> None:
    if (
        not isinstance(value, spec.value_type)
        or (isinstance(value, bool) and spec.value_type is not bool)
        or (isinstance(value, dt.datetime) and spec.value_type is dt.date)
    ):
        raise InvalidValueError(
            f"{path}: expected {spec.value_type.__name__}, got {type(value).__name__}"
        )
    if spec.is_model:
        emit_model(lines, value, tag, depth, prefix, path)
        return
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _MAX_INT:
        raise InvalidValueError(f"{path}: {value} has more than 18 digits")
    text = format_scalar(value, path)
    if spec.required and spec.value_type is str and not text.strip():
        raise InvalidValueError(f"{path} is required but empty")
    lines.leaf(depth, tag, text)


def _sequence(value: Any, path: str) -> tuple[Any, ...]:
    if not isinstance(value, tuple):
        raise InvalidValueError(f"{path}: expected a tuple, got {type(value).__name__}")
    return value
