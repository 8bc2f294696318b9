"""Tree → model: walks the field specs of :mod:`agent.core.edxml.schema` over parsed nodes.

Children are found by (QCVN namespace, local name) in any order; unknown elements are ignored.
A single-valued element that appears twice is refused: two ``DocumentId``\\ s leave open which one
a reader (or a signature verifier) takes, and that ambiguity is how wrapping attacks work.
Error messages carry the element path from the root, with 1-based indexes for repeated elements.
"""

from __future__ import annotations

from typing import Any, TypeVar

from agent.core.edxml.schema import FieldSpec, specs
from agent.core.edxml.tree import Node
from agent.core.edxml.values import parse_scalar
from agent.errors import InvalidValueError, MissingElementError

T = TypeVar("T")


def decode_model(cls: type[T], node: Node, path: str) -> T:
    """Build a ``cls`` from ``node``; ``path`` is the node's element path for messages."""
    return cls(**decode_fields(cls, node, path))


def decode_fields(cls: type, node: Node, path: str) -> dict[str, Any]:
    """The keyword arguments for ``cls`` read from ``node`` (fields absent on the wire omitted)."""
    by_name: dict[str, list[Node]] = {}
    for child in node.children:
        if child.ns == node.ns:
            by_name.setdefault(child.local, []).append(child)
    out: dict[str, Any] = {}
    for spec in specs(cls):
        found = by_name.get(spec.wire, [])
        sub = f"{path}/{spec.wire}"
        if spec.kind == "repeated":
            out[spec.name] = tuple(
                _value(spec, n, _indexed(sub, i, len(found))) for i, n in enumerate(found)
            )
        elif found:
            out[spec.name] = _single(spec, found, sub)
        elif spec.required:
            raise missing(sub)
    return out


def _single(spec: FieldSpec, found: list[Node], path: str) -> Any:
    if len(found) > 1:
        raise InvalidValueError(
            f"{path} appears {len(found)} times; exactly one is allowed",
            hint="a package with duplicated single-valued elements is ambiguous and refused.",
        )
    node = found[0]
    if spec.kind == "wrapped":
        item = spec.item or ""
        items = node.named(item)
        item_path = f"{path}/{item}"
        return tuple(
            _value(spec, n, _indexed(item_path, i, len(items))) for i, n in enumerate(items)
        )
    value = _value(spec, node, path)
    if value is None and spec.required:
        raise InvalidValueError(f"{path} is empty", hint="this element needs a value.")
    return value


def _value(spec: FieldSpec, node: Node, path: str) -> Any:
    if spec.is_model:
        return decode_model(spec.value_type, node, path)
    text = node.text()
    if spec.required and spec.value_type is str and not text.strip():
        raise InvalidValueError(
            f"{path} is empty", hint="routing and correlation need this value; fix the sender."
        )
    return parse_scalar(spec.value_type, text, path)


def _indexed(path: str, index: int, count: int) -> str:
    return f"{path}[{index + 1}]" if count > 1 else path


def missing(path: str) -> MissingElementError:
    return MissingElementError(
        f"the required element {path} is missing",
        hint="the package is incomplete; the sender's software must write this element.",
    )
