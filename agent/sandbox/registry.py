"""Who may talk to the sandbox: connected systems (systemid + secret) and the organs under them.

Three sources, merged in this order (later entries update earlier ones):

1. the seed directory shipped in ``agent/sandbox/seed/`` (``--seed``);
2. registry YAML files (``--registry FILE``);
3. the command line: ``--system ID=SECRET`` and ``--organ CODE@SYSTEM_ID[=NAME]``.

A secret may be given literally, as ``env:NAME`` (read from the environment) or as ``file:PATH``
(the first line of a file), so it need not appear in a process listing. YAML format::

    systems:
      - id: 00.53.W00                  # the systemid (a centre, an LGSP, a SaaS account)
        secret: sandbox-secret         # or secret_env: NAME, or secret_file: PATH
        name: Trung tâm tích hợp dữ liệu tỉnh Tây Ninh
        organs:                        # organs this system sends and receives for
          - code: 000.00.00.H53
            name: UBND tỉnh Tây Ninh
          - {code: 000.00.13.H53, name: Sở Thông tin và Truyền thông, pcode: 000.00.00.H53}
    organs:                            # or flat, naming the system
      - {code: 000.22.31.H53, system: 00.53.W00, name: UBND xã Long Chữ, locked: true}

Organ keys: ``code`` (required), ``system`` (when flat), ``name``, ``pcode`` (parent code or 24-hex
id; defaults to the computed parent), ``mail``, ``mobile``, ``fax``, ``locked``, ``old_code``,
``qd20_code`` (the QĐ 20/2020 code shown by ``getAgenciesListQD20``), ``level``, ``id``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agent.errors import ConfigError

SEED_DIR = Path(__file__).resolve().parent / "seed"


@dataclass(frozen=True, slots=True)
class SystemSpec:
    """A connected system. ``repr`` hides the secret so it never reaches a log line."""

    id: str
    secret: str = field(repr=False)
    name: str = ""


@dataclass(frozen=True, slots=True)
class OrganSpec:
    """An organ (mã định danh) registered under a system."""

    code: str
    system_id: str
    name: str = ""
    pcode: str = ""
    mail: str = ""
    mobile: str = ""
    fax: str = ""
    locked: bool = False
    old_code: str = ""
    qd20_code: str = ""
    level: int | None = None
    id: str = ""


@dataclass(frozen=True, slots=True)
class Registry:
    systems: tuple[SystemSpec, ...] = ()
    organs: tuple[OrganSpec, ...] = ()

    def __add__(self, other: Registry) -> Registry:
        return Registry(self.systems + other.systems, self.organs + other.organs)


def resolve_secret(value: str, *, where: str) -> str:
    """A literal secret, ``env:NAME`` or ``file:PATH``; the secret itself is never echoed."""
    if value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise ConfigError(f"At '{where}': environment variable {name} is not set")
        return os.environ[name]
    if value.startswith("file:"):
        try:
            return Path(value[5:]).read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError) as exc:
            raise ConfigError(f"At '{where}': cannot read a secret from {value[5:]}") from exc
    if not value:
        raise ConfigError(f"At '{where}': the secret is empty")
    return value


def parse_system_option(text: str) -> SystemSpec:
    """``ID=SECRET`` from ``--system``."""
    system_id, sep, secret = text.partition("=")
    if not sep or not system_id.strip():
        raise ConfigError("At '--system': expected ID=SECRET (or ID=env:NAME, ID=file:PATH)")
    system_id = system_id.strip()
    return SystemSpec(system_id, resolve_secret(secret, where=f"--system {system_id}"))


def parse_organ_option(text: str) -> OrganSpec:
    """``CODE@SYSTEM_ID`` or ``CODE@SYSTEM_ID=NAME`` from ``--organ``."""
    head, _, name = text.partition("=")
    code, sep, system_id = head.partition("@")
    if not sep or not code.strip() or not system_id.strip():
        raise ConfigError(f"At '--organ {text}': expected CODE@SYSTEM_ID or CODE@SYSTEM_ID=NAME")
    return OrganSpec(code.strip(), system_id.strip(), name=name.strip())


def load_registry_file(path: Path) -> Registry:
    """Read one registry YAML file (format in the module docstring)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read registry file {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"At '{path}': expected a mapping with 'systems' and/or 'organs'")
    systems: list[SystemSpec] = []
    organs: list[OrganSpec] = []
    for i, raw in enumerate(_as_list(data.get("systems"), f"{path}:systems")):
        where = f"{path}:systems[{i}]"
        system = _system_from(raw, where)
        systems.append(system)
        for j, organ in enumerate(_as_list(raw.get("organs"), f"{where}.organs")):
            organs.append(organ_from_mapping(organ, f"{where}.organs[{j}]", system.id))
    for i, raw in enumerate(_as_list(data.get("organs"), f"{path}:organs")):
        organs.append(organ_from_mapping(raw, f"{path}:organs[{i}]", None))
    return Registry(tuple(systems), tuple(organs))


def load_seed(directory: Path = SEED_DIR) -> Registry:
    """Every ``*.yaml`` of the seed directory, in name order."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigError(f"the seed directory {directory} holds no *.yaml file")
    total = Registry()
    for path in files:
        total = total + load_registry_file(path)
    return total


def registry_from_sources(
    *, seed: bool, files: Iterable[Path], systems: Iterable[str], organs: Iterable[str]
) -> Registry:
    """Merge the seed, registry files and command-line entries, in that order."""
    total = load_seed() if seed else Registry()
    for path in files:
        total = total + load_registry_file(path)
    cli = Registry(
        tuple(parse_system_option(s) for s in systems),
        tuple(parse_organ_option(o) for o in organs),
    )
    return total + cli


def _as_list(value: object, where: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigError(f"At '{where}': expected a list of mappings")
    return value


def _system_from(raw: Mapping[str, Any], where: str) -> SystemSpec:
    system_id = str(raw.get("id") or "").strip()
    if not system_id:
        raise ConfigError(f"At '{where}.id': a system needs an id")
    if "secret_env" in raw:
        secret = resolve_secret("env:" + str(raw["secret_env"]), where=f"{where}.secret_env")
    elif "secret_file" in raw:
        secret = resolve_secret("file:" + str(raw["secret_file"]), where=f"{where}.secret_file")
    else:
        secret = resolve_secret(str(raw.get("secret") or ""), where=f"{where}.secret")
    return SystemSpec(system_id, secret, str(raw.get("name") or ""))


_ORGAN_TEXT_KEYS = ("name", "pcode", "mail", "mobile", "fax", "old_code", "qd20_code", "id")


def organ_from_mapping(raw: Mapping[str, Any], where: str, system_id: str | None) -> OrganSpec:
    code = str(raw.get("code") or "").strip()
    system = system_id or str(raw.get("system") or "").strip()
    if not code:
        raise ConfigError(f"At '{where}.code': an organ needs a code")
    if not system:
        raise ConfigError(f"At '{where}.system': name the system the organ is registered under")
    unknown = set(raw) - {"code", "system", "locked", "level", *_ORGAN_TEXT_KEYS}
    if unknown:
        raise ConfigError(f"At '{where}': unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    texts = {k: str(raw[k]) for k in _ORGAN_TEXT_KEYS if raw.get(k) is not None}
    level = raw.get("level")
    if level is not None and not isinstance(level, int):
        raise ConfigError(f"At '{where}.level': expected an integer 1-4")
    return OrganSpec(code, system, locked=bool(raw.get("locked", False)), level=level, **texts)
