"""How each model field maps to elements: derived once per class from the dataclass itself.

The builder, the parser and the dict form (CLI metadata, ``--json``) all walk these specs, so the
element order, the element names and the value types are written down in exactly one place:
:mod:`agent.core.edxml.model`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["scalar", "model", "repeated", "wrapped"]
SCALARS: tuple[type, ...] = (str, int, bool, dt.date, dt.datetime)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a model class and its element(s) on the wire."""

    name: str  # Python attribute
    wire: str  # element local name
    kind: Kind
    value_type: type  # the scalar type or model class (of the items, for tuples)
    item: str | None  # item element name when ``kind == "wrapped"``
    optional: bool  # ``None`` allowed
    has_default: bool
    is_model: bool  # ``value_type`` is a model class
    required: bool  # must be present on the wire (and non-blank, for text)


def camel(name: str) -> str:
    """``organ_id`` → ``OrganId``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


_SPECS: dict[type, tuple[FieldSpec, ...]] = {}


def specs(cls: type) -> tuple[FieldSpec, ...]:
    """The wire fields of model class ``cls``, in canonical order (computed once per class)."""
    found = _SPECS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = tuple(
            _spec(f, hints[f.name])
            for f in dataclasses.fields(cls)
            if f.metadata.get("wire", "") is not None
        )
        _SPECS[cls] = found
    return found


def _spec(f: dataclasses.Field[Any], hint: Any) -> FieldSpec:
    inner, optional = _strip_optional(hint)
    item = f.metadata.get("item")
    has_default = (
        f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    )
    wire = f.metadata.get("wire") or camel(f.name)
    if typing.get_origin(inner) is tuple:
        value_type = typing.get_args(inner)[0]
        kind: Kind = "wrapped" if item else "repeated"
    else:
        value_type = inner
        kind = "model" if dataclasses.is_dataclass(inner) else "scalar"
    if kind == "scalar" or (kind != "model" and not dataclasses.is_dataclass(value_type)):
        _check_scalar(value_type, f.name)
    is_model = dataclasses.is_dataclass(value_type)
    required = not optional and not has_default
    return FieldSpec(
        f.name, wire, kind, value_type, item, optional, has_default, is_model, required
    )


def _strip_optional(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(hint))
    return hint, False


def _check_scalar(value_type: Any, name: str) -> None:
    ok = isinstance(value_type, type) and (
        value_type in SCALARS or issubclass(value_type, enum.IntEnum)
    )
    if not ok:
        raise TypeError(f"model field {name!r} has an unsupported type {value_type!r}")
