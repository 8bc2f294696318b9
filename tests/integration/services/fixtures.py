"""Building blocks shared by the service tests and the end-to-end tests: a development PKI on
disk, agent configuration files, document folders and the organ registry of two agencies.

Agency A: system ``00.53.W00`` (Tây Ninh centre) sending for the Sở TT&TT ``000.00.13.H53``.
Agency B: system ``02.44.W00`` (an LGSP) receiving for huyện Bến Cầu ``000.00.31.H53`` and xã
Long Chữ ``000.22.31.H53``. ``000.00.38.H53`` is registered but locked.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agent.sandbox import OrganSpec, Registry, SystemSpec
from agent.signing import devpki
from tests.support.pdfs import make_pdf

A_SYS, B_SYS = "00.53.W00", "02.44.W00"
SECRETS = {A_SYS: "secret-of-agency-a", B_SYS: "secret-of-agency-b"}
STTTT, DISTRICT, COMMUNE, LOCKED = "000.00.13.H53", "000.00.31.H53", "000.22.31.H53", \
    "000.00.38.H53"
UNKNOWN = "000.99.99.H53"
ADMIN_TOKEN = "admin-token-for-tests"
ORGAN_NAMES = {STTTT: "Sở Thông tin và Truyền thông", DISTRICT: "UBND huyện Bến Cầu",
               COMMUNE: "UBND xã Long Chữ", LOCKED: "UBND huyện khoá"}

REGISTRY = Registry(
    systems=(SystemSpec(A_SYS, SECRETS[A_SYS], "Tây Ninh"),
             SystemSpec(B_SYS, SECRETS[B_SYS], "LGSP Bến Cầu")),
    organs=(
        OrganSpec("000.00.00.H53", A_SYS, name="UBND tỉnh Tây Ninh"),
        OrganSpec(STTTT, A_SYS, name=ORGAN_NAMES[STTTT]),
        OrganSpec(DISTRICT, B_SYS, name=ORGAN_NAMES[DISTRICT]),
        OrganSpec(COMMUNE, B_SYS, name=ORGAN_NAMES[COMMUNE]),
        OrganSpec(LOCKED, B_SYS, name=ORGAN_NAMES[LOCKED], locked=True),
    ),
)


@dataclass(frozen=True)
class Pki:
    """PEM files of a development PKI: a trusted root, a signer per agency, a rogue signer."""

    root: Path
    a_key: Path
    a_chain: Path
    b_key: Path
    b_chain: Path
    rogue_key: Path
    rogue_chain: Path


def make_pki(directory: Path) -> Pki:
    now = dt.datetime.now(dt.UTC)
    root = devpki.make_root(now)
    issuing = devpki.make_intermediate(root, now)
    rogue_root = devpki.make_root(now, "Rogue Root CA")
    signers = {
        "a": devpki.make_signer(issuing, now, organ_id=STTTT, organ_name=ORGAN_NAMES[STTTT]),
        "b": devpki.make_signer(issuing, now, organ_id=DISTRICT,
                                organ_name=ORGAN_NAMES[DISTRICT]),
        "rogue": devpki.make_signer(rogue_root, now, organ_id=STTTT, organ_name="Kẻ mạo danh"),
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "root.pem").write_bytes(root.cert_pem())
    for name, issued in signers.items():
        (directory / f"{name}-key.pem").write_bytes(issued.key_pem())
        (directory / f"{name}-chain.pem").write_bytes(issued.cert_pem() + issued.chain_pem())
    return Pki(directory / "root.pem", directory / "a-key.pem", directory / "a-chain.pem",
               directory / "b-key.pem", directory / "b-chain.pem", directory / "rogue-key.pem",
               directory / "rogue-chain.pem")


def agent_yaml(
    *, base_url: str, system: str, organs: Sequence[str], root: Path, key: Path, chain: Path,
    trust_root: Path, extra: str = "",
) -> str:
    """An agent configuration for tests: short timeouts and retries, no metrics endpoint.
    ``extra`` (YAML) is merged over it, section by section."""
    config: dict[str, Any] = {
        "axis": {"base_url": base_url, "system_id": system,
                 "secret_file": str(root / "axis-secret"), "connect_timeout_seconds": 2,
                 "read_timeout_seconds": 10, "upload_timeout_seconds": 20},
        "organs": [{"code": code, "name": ORGAN_NAMES.get(code, code)} for code in organs],
        "exchange": {"root": str(root / "exchange")},
        "pickup": {"rescan_interval_seconds": 1},
        "polling": {"edoc_interval_seconds": 0.3, "status_interval_seconds": 0.3,
                    "jitter_seconds": 0},
        "retry": {"backoff_base_seconds": 0.05, "backoff_cap_seconds": 0.2, "max_attempts": 6},
        "signing": {"key_file": str(key), "certificate_file": str(chain)},
        "verification": {"trust_anchors": [str(trust_root)]},
        "journal": {"path": str(root / "journal.sqlite3")},
        "metrics": {"enabled": False},
        "shutdown": {"deadline_seconds": 5},
    }
    _merge(config, yaml.safe_load(textwrap.dedent(extra)) or {})
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> None:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def write_agent_config(root: Path, secret: str, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "axis-secret").write_text(secret + "\n", encoding="utf-8")
    os.chmod(root / "axis-secret", 0o600)
    path = root / "agent.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def metadata(
    *, to: Sequence[str] = (DISTRICT, COMMUNE), number: str = "412", notation: str = "STTTT-VP",
    subject: str = "V/v kiểm thử liên thông văn bản", business: Mapping[str, Any] | None = None,
    **more: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "to": list(to), "number": number, "notation": notation, "subject": subject,
        "document_type": {"name": "Công văn"},
        "promulgation": {"place": "Tây Ninh", "date": "2024-11-05"},
    }
    if business is not None:
        data["business"] = dict(business)
    data.update(more)
    return data


def drop_folder(
    outbox: Path, name: str, meta: Mapping[str, Any] | str,
    files: Mapping[str, bytes] | None = None,
) -> Path:
    """Write a document folder under a hidden name, then rename it into the outbox."""
    hidden = outbox / f".{name}.partial"
    hidden.mkdir(parents=True)
    text = meta if isinstance(meta, str) else json.dumps(meta, ensure_ascii=False)
    (hidden / "metadata.json").write_text(text, encoding="utf-8")
    for file_name, data in (files if files is not None else {f"{name}.pdf": pdf()}).items():
        (hidden / file_name).write_bytes(data)
    final = outbox / name
    os.rename(hidden, final)
    return final


def drop_file(folder: Path, name: str, data: bytes) -> Path:
    hidden = folder / f".{name}.partial"
    hidden.write_bytes(data)
    final = folder / name
    os.rename(hidden, final)
    return final


def pdf(text: str = "Van ban thu nghiem") -> bytes:
    return make_pdf(text=text)
