"""Configuration problems, each with the path of the key it is about (borgmatic style)."""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from agent.errors import ConfigError

#: Key names that suggest someone wrote a secret into the file.
_SECRET_KEY = re.compile(r"secret|password|passphrase|passwd|pin$|token|private_key|api_key", re.I)


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a configuration, at a dotted path such as ``axis.base_url``."""

    path: str
    message: str
    source: str | None = None  # e.g. the environment variable that set the value

    def __str__(self) -> str:
        where = f"At '{self.path}'" if self.path else "At the top level"
        origin = f" (from {self.source})" if self.source else ""
        return f"{where}{origin}: {self.message}"


class InvalidConfigError(ConfigError):
    """The configuration has one or more problems; ``problems`` lists them all."""

    code = "config.invalid"

    def __init__(self, source: str, problems: Sequence[ConfigProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        count = len(self.problems)
        super().__init__(
            f"{source}: {count} problem{'s' if count != 1 else ''}\n{lines}",
            hint="see config/agent.example.yaml for every key with its description",
        )


def format_path(loc: Iterable[int | str]) -> str:
    """``("organs", 0, "code")`` -> ``organs[0].code``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from_validation(
    error: ValidationError, model: type[BaseModel], sources: dict[str, str] | None = None
) -> list[ConfigProblem]:
    """Turn pydantic's errors into problems, never quoting the values given."""
    sources = sources or {}
    found = []
    for detail in error.errors(include_input=False, include_url=False):
        for loc, message in _locate(detail, model):
            path = format_path(loc)
            found.append(ConfigProblem(path, message, _source_for(path, sources)))
    return sorted(set(found), key=lambda p: (p.path, p.message))


def _source_for(path: str, sources: dict[str, str]) -> str | None:
    for key, source in sources.items():
        if path == key or key.startswith((f"{path}.", f"{path}[")):
            return source
        if path.startswith((f"{key}.", f"{key}[")):
            return source
    return None


def _locate(
    detail: ErrorDetails, model: type[BaseModel]
) -> list[tuple[tuple[int | str, ...], str]]:
    loc = tuple(part for part in detail["loc"] if not _is_union_tag(part))
    ctx = detail.get("ctx") or {}
    if detail["type"] == "config_key":
        return [(loc + _split_key(str(ctx["key"])), str(ctx["message"]))]
    if detail["type"] == "config_keys":
        return [(loc + _split_key(key), message) for key, message in ctx["problems"]]
    if detail["type"] == "extra_forbidden":
        return [(loc, _unknown_key_message(loc, model))]
    if detail["type"] == "missing":
        return [(loc, "this key is required")]
    return [(loc, _clean(detail["msg"]))]


def _split_key(key: str) -> tuple[int | str, ...]:
    """``organs[1].code`` -> ``("organs", 1, "code")``."""
    parts: list[int | str] = []
    for piece in key.split("."):
        name, *indexes = piece.replace("]", "").split("[")
        parts.append(name)
        parts += [int(i) for i in indexes]
    return tuple(parts)


def _is_union_tag(part: int | str) -> bool:
    # pydantic adds the branch of a union (e.g. "function-after[...]" or "int") to the location.
    return isinstance(part, str) and ("[" in part or part in {"int", "str", "float", "bool"})


def _clean(message: str) -> str:
    message = message.removeprefix("Value error, ")
    if len(message) > 1 and message[1].islower():  # "Input should..." but not "URL ..."
        return message[0].lower() + message[1:]
    return message


def _unknown_key_message(loc: tuple[int | str, ...], model: type[BaseModel]) -> str:
    key = str(loc[-1])
    if _SECRET_KEY.search(key) and not key.endswith(("_file", "_credential")):
        return (
            "secrets are never written in the configuration: put the secret in a file readable"
            " only by the service and name it with a '*_file' key, or load it as a systemd"
            " credential (LoadCredential=) and name it with a '*_credential' key"
        )
    known = _keys_at(model, loc[:-1])
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return "unknown key" + (f"; did you mean '{close[0]}'?" if close else "")


def _keys_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed at a location, by walking the schema along it."""
    current: object = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        current = _model_in(field.annotation) if field else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_in(annotation: object) -> object:
    """The model class inside ``X``, ``list[X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
