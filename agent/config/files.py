"""Check that the files a configuration names exist and are readable (``--check-files``).

Schema validation never touches the filesystem, so a configuration can be validated on another
machine. This check runs where the agent runs: every key marked ``must_exist`` must name a readable
file, and every ``*_credential`` must be present in ``$CREDENTIALS_DIRECTORY`` when one is known.
Contents are never read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agent.config.paths import credentials_directory
from agent.config.problems import ConfigProblem, format_path


def check_files(config: BaseModel, environ: Mapping[str, str] | None = None) -> list[ConfigProblem]:
    """Problems with the files and credentials a validated configuration refers to."""
    credentials = credentials_directory(environ)
    problems = []
    for loc, key, value, must_exist in _walk(config, ()):
        path = format_path(loc)
        if must_exist:
            problems += [ConfigProblem(path, m) for m in _file_problems(value)]
        elif key.endswith("_credential") and value is not None and credentials is not None:
            problems += [
                ConfigProblem(path, f"systemd credential '{value}': {m}")
                for m in _file_problems(credentials / str(value))
            ]
    return problems


def _walk(
    model: BaseModel, loc: tuple[int | str, ...]
) -> Iterator[tuple[tuple[int | str, ...], str, Any, bool]]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if isinstance(value, BaseModel):
            yield from _walk(value, (*loc, name))
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for index, item in enumerate(value):
                yield from _walk(item, (*loc, name, index))
        else:
            yield (*loc, name), name, value, bool(extra.get("must_exist"))


def _file_problems(value: Any) -> list[str]:
    paths = value if isinstance(value, list) else [value]
    return [m for p in paths if p is not None for m in _one_file(Path(p))]


def _one_file(path: Path) -> list[str]:
    if not path.exists():
        return [f"{path} does not exist"]
    if not path.is_file():
        return [f"{path} is not a regular file"]
    if not os.access(path, os.R_OK):
        return [f"{path} is not readable by this user"]
    return []
