"""Reading what the DMS drops: a document folder into an :class:`OutboundRequest`, a status-out
file into a :class:`~agent.files.schema.StatusUpdate`.

Every problem is reported at once, each with where it is (``metadata.yaml: At 'to[1]': ...``),
in one :class:`~agent.errors.ExchangeItemError` whose message and hint go into the error file
next to the item in failed/.
"""

from __future__ import annotations

import difflib
import json
import mimetypes
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from agent.core.edxml.names import safe_attachment_name
from agent.errors import ExchangeItemError, LienthongError
from agent.files.atomic import disk_errors
from agent.files.pickup import DEFAULT_IGNORE, METADATA_NAMES, is_ignored
from agent.files.schema import BusinessType, DocumentMetadata, StatusUpdate

MAX_METADATA_BYTES = 1024 * 1024
CONTRACT = "docs/folder-contract.md"
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class AttachmentFile:
    """One file to attach, checked: a regular file inside the document folder."""

    path: Path
    name: str  # the name the recipient sees (safe)
    content_type: str
    description: str | None
    size: int


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """A document folder read and checked: the typed metadata and the files to attach."""

    folder: Path
    metadata_file: str
    metadata: DocumentMetadata
    attachments: tuple[AttachmentFile, ...]

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.metadata.to))

    def document_id(self, sender: str) -> str:
        return self.metadata.document_id_for(sender)


def _item_error(name: str, problems: Sequence[str]) -> ExchangeItemError:
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    return ExchangeItemError(
        f"'{name}' cannot be used ({count}):\n" + "\n".join(f"- {p}" for p in problems),
        problems=tuple(problems),
        hint=f"correct it as {CONTRACT} describes and drop it into the folder again",
    )


# --- documents ------------------------------------------------------------------------------------


def load_document_folder(
    folder: Path, *, max_metadata_bytes: int = MAX_METADATA_BYTES,
    ignore: Sequence[str] = DEFAULT_IGNORE,
) -> OutboundRequest:
    """Read and check a document folder; raise ExchangeItemError listing every problem."""
    names = [n for n in METADATA_NAMES if (folder / n).is_file()]
    if len(names) != 1:
        found = ", ".join(names) or "none"
        raise _item_error(folder.name, [f"exactly one metadata file is needed ({found} found)"])
    data, problems = read_mapping(folder / names[0], max_metadata_bytes)
    metadata, schema_problems = validate(DocumentMetadata, data, names[0])
    problems += schema_problems
    attachments: tuple[AttachmentFile, ...] = ()
    if metadata is not None:
        attachments, file_problems = _attachments(folder, names[0], metadata, ignore)
        problems += file_problems
    if problems or metadata is None:
        raise _item_error(folder.name, problems)
    return OutboundRequest(folder, names[0], metadata, attachments)


class _DuplicateKeyError(ValueError):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(f"the key '{key}' appears twice")
        out[key] = value
    return out


class _StrictLoader(yaml.SafeLoader):
    """YAML without aliases (no exponential 'billion laughs' expansion) or repeated keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed",
                                              mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_mapping(path: Path, max_bytes: int) -> tuple[dict[str, Any] | None, list[str]]:
    """Parse a YAML or JSON file into a mapping, or say why not."""
    with disk_errors(f"read {path.name}"):
        size = path.stat().st_size
        if size > max_bytes:
            return None, [f"{path.name}: {size} bytes, more than the {max_bytes} allowed"]
        raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        if path.suffix == ".json":
            data = json.loads(text, object_pairs_hook=_unique_pairs)
        else:
            data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except UnicodeDecodeError as exc:
        return None, [f"{path.name}: not UTF-8 text (byte {exc.start})"]
    except json.JSONDecodeError as exc:
        return None, [f"{path.name}: line {exc.lineno}, column {exc.colno}: {exc.msg}"]
    except _DuplicateKeyError as exc:
        return None, [f"{path.name}: {exc}"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        return None, [f"{path.name}: {where}{getattr(exc, 'problem', None) or exc}"]
    if not isinstance(data, dict):
        return None, [f"{path.name}: the top level must be a mapping of keys to values"]
    return data, []


def validate(
    model: type[M], data: dict[str, Any] | None, source: str
) -> tuple[M | None, list[str]]:
    """Validate ``data`` against ``model``; every problem as ``<source>: At '<path>': ...``."""
    if data is None:
        return None, []
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, [f"{source}: {_problem(e, model)}" for e in exc.errors()]


def _problem(error: ErrorDetails, model: type[BaseModel]) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
    where = f"At '{path}'" if path else "At the top level"
    return f"{where}: {_message(error, model)}"


def _message(error: ErrorDetails, model: type[BaseModel]) -> str:
    kind, loc = error["type"], error["loc"]
    if kind == "missing":
        return "required, and missing"
    if kind == "extra_forbidden":
        known = [f.alias or n for n, f in _model_at(model, loc[:-1]).model_fields.items()]
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        return "unknown key" + (f" (did you mean '{close[0]}'?)" if close else "")
    if kind == "string_pattern_mismatch":
        return f"{error['input']!r} is not an organ code (mã định danh) like 000.00.13.H53"
    if kind == "string_type":
        return "must be text; write codes and numbers in quotes, e.g. \"412\""
    if kind.startswith(("date_", "datetime_")):
        return f"{error['input']!r} is not a date; write it as 2024-11-05"
    if kind == "enum":
        return f"{error['input']!r} is not one of the allowed values"
    return str(error["msg"]).removeprefix("Value error, ")


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel]:
    """The (nested) model a location points into, for spelling suggestions."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        nested = [a for a in _flatten(field.annotation if field else None)
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            return model
        model = nested[0]
    return model


def _flatten(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    return [annotation] if not args else [x for a in args for x in _flatten(a)]


def _attachments(
    folder: Path, metadata_name: str, metadata: DocumentMetadata, ignore: Sequence[str]
) -> tuple[tuple[AttachmentFile, ...], list[str]]:
    present = _folder_files(folder, ignore) - {metadata_name}
    listed = metadata.attachments
    entries: list[tuple[str, str | None, str | None, str | None]]
    if listed is None:
        entries = [(name, None, None, None) for name in sorted(present)]
        where = "the folder"
    else:
        entries = [(a.file, a.name, a.description, a.content_type) for a in listed]
        where = "attachments"
    files, problems = [], []
    for index, (file, name, description, content_type) in enumerate(entries):
        at = f"{metadata_name}: At '{where}[{index}]'" if listed is not None else folder.name
        try:
            files.append(_attachment(folder, file, name, description, content_type))
        except LienthongError as exc:
            problems.append(f"{at}: {exc.message}")
    if listed is not None:
        unlisted = sorted(present - {a.file for a in listed})
        problems += [f"{n}: in the folder but not listed in 'attachments'" for n in unlisted]
    problems += _attachment_set_problems(metadata, metadata_name, files)
    return tuple(files), problems


def _folder_files(folder: Path, ignore: Sequence[str]) -> set[str]:
    with disk_errors(f"list {folder.name}"):
        return {p.name for p in folder.iterdir() if not is_ignored(p.name, ignore)}


def _attachment(
    folder: Path, file: str, name: str | None, description: str | None, content_type: str | None
) -> AttachmentFile:
    parts = Path(file).parts
    if not parts or Path(file).is_absolute() or ".." in parts:
        raise ExchangeItemError(f"'{file}' must be a path inside the document folder")
    path = folder.joinpath(*parts)
    with disk_errors(f"look at {file}"):
        for step in [folder.joinpath(*parts[:i]) for i in range(1, len(parts) + 1)]:
            if step.is_symlink():
                raise ExchangeItemError(f"'{file}' is a symbolic link; put the file itself")
        if not path.is_file():
            what = "a folder" if path.is_dir() else "missing"
            raise ExchangeItemError(f"'{file}' is {what}, not a file")
        size = path.stat().st_size
    shown = safe_attachment_name(name or path.name)
    guessed = mimetypes.guess_type(shown)[0] or "application/octet-stream"
    return AttachmentFile(path, shown, content_type or guessed, description, size)


def _attachment_set_problems(
    metadata: DocumentMetadata, metadata_name: str, files: Sequence[AttachmentFile]
) -> list[str]:
    problems = []
    keys = [f.name.casefold() for f in files]
    for name in sorted({n for n in keys if keys.count(n) > 1}):
        problems.append(f"{metadata_name}: two attachments would be called '{name}'")
    needs_one = metadata.business.type in (BusinessType.NEW, BusinessType.REPLACE)
    if needs_one and not files:
        problems.append(f"{metadata_name}: a document needs at least one attachment"
                        " (the signed PDF)")
    return problems


# --- status updates -------------------------------------------------------------------------------


def load_status_update(path: Path, *, max_bytes: int = MAX_METADATA_BYTES) -> StatusUpdate:
    """Read and check a status-out file; raise ExchangeItemError listing every problem."""
    data, problems = read_mapping(path, max_bytes)
    update, schema_problems = validate(StatusUpdate, data, path.name)
    problems += schema_problems
    if problems or update is None:
        raise _item_error(path.name, problems)
    return update
