"""Model ⇄ plain data (dicts, lists, strings, numbers): the metadata file of ``edxml build`` and
the ``--json`` output of ``edxml inspect``.

Keys are the model's field names (``sender``, ``recipients``, ``organ_id``...). Dates and
timestamps are written in the wire formats (``2024/11/05``, ``2024/11/05 08:30:00``) and read from
those, ISO strings, or YAML's native dates; ``business_doc_type`` is written as its name (``new``,
``recall``, ``update``, ``replace``) and read from a name or a number. What ``to_plain`` writes,
``from_plain`` reads back: the header of an ``inspect --json`` is a valid metadata file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any, TypeVar

from agent.core.edxml.schema import FieldSpec, specs
from agent.core.edxml.values import format_date, format_timestamp, parse_scalar
from agent.errors import InvalidValueError

T = TypeVar("T")


def to_plain(value: Any) -> Any:
    """JSON/YAML-ready form of a model value (``None`` fields left out)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, enum.IntEnum):
        return value.name.lower()
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return format_date(value)
    return value


def from_plain(cls: type[T], data: Any, path: str) -> T:
    """Build a ``cls`` from plain data; errors name the key path (``header.recipients[0]``)."""
    if not isinstance(data, Mapping):
        raise _bad(path, f"expected a mapping of {cls.__name__} fields")
    by_name = {s.name: s for s in specs(cls)}
    unknown = sorted(set(data) - set(by_name))
    if unknown:
        raise _bad(path, f"unknown key(s) {', '.join(map(str, unknown))}; allowed: "
                   f"{', '.join(by_name)}")
    kwargs = {}
    for name, spec in by_name.items():
        sub = f"{path}.{name}" if path else name
        if data.get(name) is None:
            if spec.required:
                raise _bad(sub, "is required")
            continue
        kwargs[name] = _field(spec, data[name], sub)
    return cls(**kwargs)


def _field(spec: FieldSpec, value: Any, path: str) -> Any:
    if spec.kind in ("repeated", "wrapped"):
        if not isinstance(value, list | tuple):
            raise _bad(path, "expected a list")
        return tuple(_value(spec, v, f"{path}[{i}]") for i, v in enumerate(value))
    return _value(spec, value, path)


def _value(spec: FieldSpec, value: Any, path: str) -> Any:
    kind = spec.value_type
    if spec.is_model:
        return from_plain(kind, value, path)
    if kind is str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise _bad(path, "expected text")
        return str(value)
    if isinstance(kind, type) and issubclass(kind, enum.IntEnum) and isinstance(value, str):
        return _enum_by_name(kind, value, path)
    if kind is dt.datetime and isinstance(value, dt.datetime) and value.tzinfo is None:
        return value
    if kind is dt.date and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, bool) and kind is not bool:
        raise _bad(path, f"expected {kind.__name__}, got true/false")
    parsed = parse_scalar(kind, _text(value, path), f"metadata at '{path}'")
    if parsed is None:
        raise _bad(path, "is empty")
    return parsed


def _text(value: Any, path: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    raise _bad(path, f"unexpected {type(value).__name__} value")


def _enum_by_name(kind: type[enum.IntEnum], value: str, path: str) -> enum.IntEnum:
    try:
        return kind[value.strip().upper()]
    except KeyError:
        pass
    if value.strip().isdigit():
        return parse_scalar(kind, value, f"metadata at '{path}'")  # type: ignore[return-value]
    names = ", ".join(m.name.lower() for m in kind)
    raise _bad(path, f"{value!r} is not one of {names}")


def _bad(path: str, message: str) -> InvalidValueError:
    where = f"at '{path}'" if path else "at the top level"
    return InvalidValueError(
        f"metadata {where}: {message}",
        hint="see `lienthong-agent edxml build --help` and README, section 'edxml build'.",
    )
