"""The sandbox on 127.0.0.1:0, driven only by the reference client written from AXIS.md.

Registry (realistic codes, AXIS.md §8):

* ``00.53.W00``, the Tây Ninh centre (an LGSP): the Sở TT&TT, huyện Bến Cầu, xã Long Chữ and a
  locked commune, so one system receives for several organs;
* ``sandbox.g22``, the Government Office (VPCP) with ``000.00.00.G22``;
* ``00.36.W00``, Lâm Đồng, with its UBND tỉnh;
* ``vxp.saas.03``, a SaaS account with no organ.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.sandbox import OrganSpec, Registry, SandboxConfig, SandboxServer, SystemSpec
from tests.support.axis_reference_client import AxisReferenceClient
from tests.unit.edxml.examples import ALL

TN, VPCP, LD, SAAS = "00.53.W00", "sandbox.g22", "00.36.W00", "vxp.saas.03"
SECRETS = {TN: "tn-s3cr3t-value", VPCP: "vpcp-s3cr3t-value", LD: "ld-s3cr3t-value",
           SAAS: "saas-s3cr3t-value"}
STTTT, DISTRICT = "000.00.13.H53", "000.00.31.H53"
COMMUNE, LOCKED = "000.22.31.H53", "000.23.31.H53"
G22, H36 = "000.00.00.G22", "000.00.00.H36"
ADMIN_TOKEN = "admin-t0ken"

REGISTRY = Registry(
    systems=tuple(SystemSpec(k, v, k) for k, v in SECRETS.items()),
    organs=(
        OrganSpec("000.00.00.H53", TN, name="UBND tỉnh Tây Ninh"),
        OrganSpec(STTTT, TN, name="Sở Thông tin và Truyền thông"),
        OrganSpec(DISTRICT, TN, name="UBND huyện Bến Cầu"),
        OrganSpec(COMMUNE, TN, name="UBND xã Long Chữ"),
        OrganSpec(LOCKED, TN, name="UBND xã Long Giang", locked=True),
        OrganSpec(G22, VPCP, name="Văn phòng Chính phủ"),
        OrganSpec(H36, LD, name="UBND tỉnh Lâm Đồng"),
    ),
)


def example(name: str) -> bytes:
    """An example package of AXIS.md §15 (verbatim copies kept in the test tree)."""
    return ALL[name]


def edoc(sender: str = STTTT, recipients: tuple[str, ...] = (DISTRICT, COMMUNE),
         document_id: str | None = None) -> bytes:
    """The example edoc with its From, To list and DocumentId replaced."""
    text = example("edoc-new.edxml").decode()
    text = text.replace("<edXML:OrganId>000.00.13.H53</edXML:OrganId>",
                        f"<edXML:OrganId>{sender}</edXML:OrganId>", 1)
    to_blocks = re.findall(r"\s*<edXML:To>.*?</edXML:To>", text, flags=re.S)
    template = to_blocks[0]
    new = "".join(re.sub(r"<edXML:OrganId>[^<]*<", f"<edXML:OrganId>{r}<", template, count=1)
                  for r in recipients)
    text = text.replace("".join(to_blocks), new)
    if document_id is not None:
        text = text.replace("000.00.13.H53,2024/11/05,412/STTTT-VP", document_id)
    return text.encode()


def status(sender: str = DISTRICT, to: str = STTTT, code: str = "03") -> bytes:
    text = example("status-03.edxml").decode()
    text = text.replace("<edXML:OrganId>000.00.31.H53</edXML:OrganId>",
                        f"<edXML:OrganId>{sender}</edXML:OrganId>", 1)
    text = text.replace("<edXML:OrganId>000.00.13.H53</edXML:OrganId>",
                        f"<edXML:OrganId>{to}</edXML:OrganId>", 1)
    return text.replace("<edXML:StatusCode>03<", f"<edXML:StatusCode>{code}<").encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Running:
    """A started sandbox with reference clients and an admin helper."""

    def __init__(self, server: SandboxServer, http: httpx.Client) -> None:
        self.server = server
        self.http = http

    def client(
        self, system: str = TN, *, secret: str | None = None, **kw: Any
    ) -> AxisReferenceClient:
        kw.setdefault("http", self.http)
        return AxisReferenceClient(self.server.url, system, secret or SECRETS[system], **kw)

    def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        return self.http.request(method, self.server.admin_url + path, headers=headers, **kw)

    def ledger(self, event: str | None = None) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.admin("GET", "/ledger").json()["events"]
        return [e for e in events if event is None or e["event"] == event]


StartSandbox = Callable[..., Running]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def start_sandbox(tmp_path: Path, http: httpx.Client) -> Iterator[StartSandbox]:
    """Start a sandbox with the test registry; keyword arguments override SandboxConfig fields."""
    servers: list[SandboxServer] = []

    def start(**overrides: Any) -> Running:
        config = SandboxConfig(data_dir=tmp_path / "axis", registry=REGISTRY,
                               admin_token=ADMIN_TOKEN)
        server = SandboxServer(replace(config, **overrides))
        server.start()
        servers.append(server)
        return Running(server, http)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def axis(start_sandbox: StartSandbox) -> Running:
    """A sandbox with the default settings (transit rebuild, no faults)."""
    return start_sandbox()
