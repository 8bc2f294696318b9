"""Load ``agent.yaml``: parse YAML, apply environment overrides, validate, report every problem.

Environment overrides: a variable ``LIENTHONG_<SECTION>__<KEY>[__<KEY>...]`` sets the key at that
path (``LIENTHONG_AXIS__BASE_URL`` sets ``axis.base_url``; ``LIENTHONG_ORGANS__0__NAME`` sets the
name of the first organ). Names are case-insensitive; only variables with ``__`` after the prefix
are overrides. The value is a string, converted by the schema; ``null`` or ``~`` clears an optional
key; a value starting with ``[`` or ``{`` is read as YAML
(``LIENTHONG_VERIFICATION__CRL_FILES=[/etc/a.crl]``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import ValidationError

from agent.config.paths import default_journal_path
from agent.config.problems import (
    ConfigProblem,
    InvalidConfigError,
    format_path,
    problems_from_validation,
)
from agent.config.schema import AgentConfig

ENV_PREFIX: Final = "LIENTHONG_"
ENV_SEPARATOR: Final = "__"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (a silent last-one-wins hides mistakes)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                f"found the key '{key}' twice", key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    """Parse YAML text; a syntax error becomes a problem with its line and column."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        problem = ConfigProblem("", f"YAML syntax error at {where}: {exc.problem or exc}")
        raise InvalidConfigError(source, [problem]) from None
    except yaml.YAMLError as exc:
        raise InvalidConfigError(source, [ConfigProblem("", f"YAML error: {exc}")]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        problem = ConfigProblem("", "the file must be a mapping of sections (axis:, organs:, ...)")
        raise InvalidConfigError(source, [problem])
    return data


def env_overrides(environ: Mapping[str, str]) -> list[tuple[tuple[str | int, ...], Any, str]]:
    """The overrides found in an environment: (path, value, variable name), sorted by name."""
    found = []
    for name in sorted(environ):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :]
        if ENV_SEPARATOR not in rest:
            continue
        path = tuple(_path_part(p) for p in rest.lower().split(ENV_SEPARATOR))
        found.append((path, _env_value(environ[name]), name))
    return found


def _path_part(part: str) -> str | int:
    return int(part) if part.isdigit() else part


def _env_value(raw: str) -> Any:
    stripped = raw.strip()
    if stripped in {"null", "~"}:
        return None
    if stripped.startswith(("[", "{")):
        try:
            return yaml.safe_load(stripped)
        except yaml.YAMLError:
            return raw
    return raw


def apply_overrides(
    data: dict[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str], list[ConfigProblem]]:
    """Apply environment overrides to parsed YAML; returns data, {path: variable}, problems."""
    sources: dict[str, str] = {}
    problems: list[ConfigProblem] = []
    for path, value, name in env_overrides(environ):
        dotted = format_path(path)
        try:
            _set_path(data, path, value)
        except (KeyError, IndexError, TypeError, AttributeError):
            problems.append(
                ConfigProblem(dotted, "no such place to override in the configuration", name)
            )
            continue
        sources[dotted] = name
    return data, sources, problems


def _set_path(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    *parents, last = path
    node = data
    for part in parents:
        if isinstance(part, int):
            node = node[part]
        else:
            node = node.setdefault(part, {})
    if isinstance(last, int):
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise TypeError(path)


def load_config_text(
    text: str,
    *,
    source: str = "<config>",
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> AgentConfig:
    """Parse and validate configuration text. Raises :class:`InvalidConfigError` listing every
    problem. ``environ`` supplies overrides and systemd's directories (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    data, sources, problems = apply_overrides(parse_yaml(text, source), env)
    try:
        config = AgentConfig.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        problems += problems_from_validation(exc, AgentConfig, sources)
        raise InvalidConfigError(source, problems) from None
    if problems:
        raise InvalidConfigError(source, problems)
    return _with_defaults(config, env)


def load_config(path: Path | str, *, environ: Mapping[str, str] | None = None) -> AgentConfig:
    """Read, parse and validate a configuration file (see :func:`load_config_text`)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        problem = ConfigProblem("", "the file does not exist")
        raise InvalidConfigError(str(file), [problem]) from None
    except UnicodeDecodeError:
        problem = ConfigProblem("", "the file is not UTF-8 text")
        raise InvalidConfigError(str(file), [problem]) from None
    except OSError as exc:
        problem = ConfigProblem("", f"the file cannot be read: {exc.strerror}")
        raise InvalidConfigError(str(file), [problem]) from None
    return load_config_text(
        text, source=str(file), base_dir=file.resolve().parent, environ=environ
    )


def _with_defaults(config: AgentConfig, environ: Mapping[str, str]) -> AgentConfig:
    """Fill in values that depend on the environment (the journal under ``$STATE_DIRECTORY``)."""
    if config.journal.path is not None:
        return config
    journal = config.journal.model_copy(update={"path": default_journal_path(environ)})
    return config.model_copy(update={"journal": journal})
