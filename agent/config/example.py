"""Generate the commented example configuration from the schema (``config generate``).

Every key is written with its description as a comment above it. Keys with a default show it;
optional keys without one show an example, commented out unless the schema marks the example as
the recommended live value (e.g. ``secret_credential: axis-secret``). The result validates as is.
"""

from __future__ import annotations

import textwrap
import typing
from enum import Enum
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from agent.config.schema import AgentConfig

INDENT: Final = 4
WIDTH: Final = 100

HEADER: Final = """\
# lienthong-agent configuration: /etc/lienthong-agent/agent.yaml
#
# GENERATED from the schema (agent/config/schema/) by
#     lienthong-agent config generate -o config/agent.example.yaml
# Do not edit config/agent.example.yaml by hand; change the schema and generate again.
#
# Every key is shown with its description. A commented-out key shows an example of an optional
# setting. Secrets are never written here: a key ending in '_credential' names a systemd credential
# (LoadCredential= in the unit, read from $CREDENTIALS_DIRECTORY), a key ending in '_file' names a
# file. Relative paths are relative to this file's directory. Durations are in seconds.
#
# Any key can be overridden from the environment: LIENTHONG_<SECTION>__<KEY>=value, e.g.
# LIENTHONG_AXIS__BASE_URL=https://... or LIENTHONG_LOGGING__LEVEL=debug.
#
# Check a configuration with: lienthong-agent config validate /etc/lienthong-agent/agent.yaml
"""


class _FlowList(list[Any]):
    """A list of scalars, written on one line."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _FlowList,
    lambda dumper, data: dumper.represent_sequence(
        "tag:yaml.org,2002:seq", data, flow_style=True
    ),
)


def generate_example() -> str:
    """The example configuration, as the text of ``config/agent.example.yaml``."""
    lines = [HEADER.rstrip("\n"), ""]
    for name, field in AgentConfig.model_fields.items():
        lines += _field_lines(name, field, 0)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _field_lines(name: str, field: FieldInfo, indent: int) -> list[str]:
    lines = _comment(field.description or "", indent)
    model = _nested_model(field.annotation)
    if model is not None:
        return lines + _nested_lines(name, field, model, indent)
    active, value = _shown_value(field)
    rendered = _dump({name: value}, indent)
    if not active:
        rendered = [_comment_out(line, indent) for line in rendered]
    return lines + rendered


def _nested_lines(name: str, field: FieldInfo, model: type[BaseModel], indent: int) -> list[str]:
    pad = " " * indent
    lines = [f"{pad}{name}:"]
    child_indent = indent + INDENT
    if typing.get_origin(field.annotation) is list:
        lines.append(f"{' ' * child_indent}-")
        child_indent += INDENT
    for child_name, child in model.model_fields.items():
        lines += _field_lines(child_name, child, child_indent)
    return lines


def _shown_value(field: FieldInfo) -> tuple[bool, Any]:
    """(is the line live, value shown) for a scalar or collection key."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    has_example = "example" in extra
    default = _default(field)
    if default is PydanticUndefined:
        return True, extra.get("example")
    if has_example and (default is None or default in ({}, [])):
        return bool(extra.get("example_active")), extra["example"]
    return True, default


def _default(field: FieldInfo) -> Any:
    if field.default_factory is not None:
        return field.default_factory()  # type: ignore[call-arg]
    return field.default


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _plain(value: Any) -> Any:
    """Values as YAML writes them: enums by value, paths as text, scalar lists on one line."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [_plain(v) for v in value]
        scalar = all(not isinstance(v, dict | list) for v in items)
        return _FlowList(items) if scalar else items
    return value


def _dump(data: dict[str, Any], indent: int) -> list[str]:
    text = yaml.dump(
        _plain(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
        default_flow_style=False, width=1000, indent=INDENT,
    )
    pad = " " * indent
    return [pad + line for line in text.rstrip("\n").split("\n")]


def _comment(description: str, indent: int) -> list[str]:
    pad = " " * indent
    wrapped = textwrap.wrap(description, width=WIDTH - indent - 2, break_on_hyphens=False) or [""]
    return [f"{pad}# {line}" for line in wrapped]


def _comment_out(line: str, indent: int) -> str:
    return f"{line[:indent]}# {line[indent:]}"
