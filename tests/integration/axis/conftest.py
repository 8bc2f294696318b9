"""The real sandbox on 127.0.0.1:0 and axis clients for two systems (the only fake of the axis).

System A (``00.53.W00``) holds the Sở TT&TT; system B (``02.44.W00``) holds a district, a commune
and a locked organ. Packages are written to files by :func:`write_edoc` / :func:`write_status`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.axis.api import AxisClient
from agent.axis.wire import AxisCredentials, AxisWire, WireSettings
from agent.core.xroad import Secret
from agent.sandbox import OrganSpec, Registry, SandboxConfig, SandboxServer, SystemSpec
from agent.sandbox.transit import TransitMode

A, B = "00.53.W00", "02.44.W00"
SECRETS = {A: "secret-of-a", B: "secret-of-b"}
SENDER = "000.00.13.H53"
DISTRICT, COMMUNE, LOCKED = "000.00.31.H53", "000.22.31.H53", "000.00.38.H53"
REGISTRY = Registry(
    systems=(SystemSpec(A, SECRETS[A], "Tây Ninh"), SystemSpec(B, SECRETS[B], "Bến Cầu")),
    organs=(
        OrganSpec("000.00.00.H53", A, name="UBND tỉnh Tây Ninh", level=1),
        OrganSpec(SENDER, A, name="Sở Thông tin và Truyền thông", level=2),
        OrganSpec(DISTRICT, B, name="UBND huyện Bến Cầu", level=2),
        OrganSpec(COMMUNE, B, name="UBND xã Long Chữ", level=3),
        OrganSpec(LOCKED, B, name="UBND huyện khoá", locked=True, level=2),
    ),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Axis:
    """A running sandbox and a way to make clients for it."""

    server: SandboxServer
    http: httpx.Client

    def client(
        self, system: str = A, *, secret: str | None = None, prefix: str = "",
        clock: Callable[[], datetime] = utc_now, **settings: Any,
    ) -> AxisClient:
        wire_settings = WireSettings(self.server.base, path_prefix=prefix, **settings)
        creds = AxisCredentials(system, Secret(secret or SECRETS[system]))
        return AxisClient(AxisWire(self.http, wire_settings, creds, clock))

    def faults(self, *rules: object) -> None:
        assert self.server.sandbox is not None
        self.server.sandbox.faults.set(rules, 0)  # type: ignore[arg-type]


def start_sandbox(tmp: Path, **config: object) -> SandboxServer:
    server = SandboxServer(SandboxConfig(
        data_dir=tmp, registry=REGISTRY, transit=TransitMode.PRESERVE, **config  # type: ignore[arg-type]
    ))
    server.start()
    return server


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    server = start_sandbox(tmp_path_factory.mktemp("axis"))
    yield server
    server.stop()


@pytest.fixture
def axis(shared_server: SandboxServer) -> Iterator[Axis]:
    """The module's sandbox with no faults, and a fresh httpx client."""
    with httpx.Client() as http:
        handle = Axis(shared_server, http)
        handle.faults()
        yield handle
        handle.faults()


@pytest.fixture
def fresh_axis(tmp_path: Path) -> Iterator[Axis]:
    """A sandbox of its own, for tests that count or drain the mailboxes."""
    server = start_sandbox(tmp_path / "axis")
    with httpx.Client() as http:
        yield Axis(server, http)
    server.stop()


_BLOCK = bytes(range(256)) * 768  # 192 KiB, a multiple of 3: base64 blocks concatenate


def write_edoc(
    path: Path, *, sender: str = SENDER, recipients: tuple[str, ...] = (DISTRICT, COMMUNE),
    attachment_bytes: int = 1000, document_id: str = "000.00.13.H53,2026/11/24,412/STTTT-VP",
) -> str:
    """Write an edoc package with one attachment of the given size; return its SHA-256 hex."""
    to = "".join(f"<edXML:To><edXML:OrganId>{r}</edXML:OrganId>"
                 f"<edXML:OrganName>Đơn vị {r}</edXML:OrganName></edXML:To>" for r in recipients)
    head = f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
<edXML:edXMLHeader><edXML:MessageHeader>
<edXML:From><edXML:OrganId>{sender}</edXML:OrganId><edXML:OrganName>Sở TT&amp;TT</edXML:OrganName></edXML:From>
{to}<edXML:DocumentId>{document_id}</edXML:DocumentId>
<edXML:Code><edXML:CodeNumber>412</edXML:CodeNumber><edXML:CodeNotation>STTTT-VP</edXML:CodeNotation></edXML:Code>
<edXML:PromulgationInfo><edXML:Place>Tây Ninh</edXML:Place><edXML:PromulgationDate>2026/11/24</edXML:PromulgationDate></edXML:PromulgationInfo>
<edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>
<edXML:Subject>V/v kiểm thử trục liên thông</edXML:Subject>
</edXML:MessageHeader>
<edXML:TraceHeaderList><edXML:Bussiness><edXML:DocumentId>{document_id}</edXML:DocumentId><edXML:BussinessDocType>0</edXML:BussinessDocType></edXML:Bussiness></edXML:TraceHeaderList>
</edXML:edXMLHeader>
<edXML:edXMLBody><edXML:edXMLManifest version="1.0"><edXML:Reference><edXML:ContentId>cid:att-1</edXML:ContentId><edXML:ContentType>application/pdf</edXML:ContentType><edXML:AttachmentName>cong-van.pdf</edXML:AttachmentName></edXML:Reference></edXML:edXMLManifest></edXML:edXMLBody>
</edXML:edXMLEnvelope>
<AttachmentEncoded><Attachment><ContentId>cid:att-1</ContentId><AttachmentName>cong-van.pdf</AttachmentName><ContentType>application/pdf</ContentType><edXML:ContentTransferEncoded xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">"""  # noqa: E501
    tail = "</edXML:ContentTransferEncoded></Attachment></AttachmentEncoded></edXML>"
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        for part in _parts(head.encode(), attachment_bytes, tail.encode()):
            fh.write(part)
            digest.update(part)
    return digest.hexdigest()


def _parts(head: bytes, size: int, tail: bytes) -> Iterator[bytes]:
    yield head
    full, rest = divmod(size, len(_BLOCK))
    encoded = base64.b64encode(_BLOCK)
    for _ in range(full):
        yield encoded
    yield base64.b64encode(_BLOCK[:rest])
    yield tail


def write_status(path: Path, *, sender: str = DISTRICT, to: str = SENDER, code: str = "03") -> None:
    """A status package (§4.1) from ``sender`` about a document of ``to``."""
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
<edXML:edXMLHeader><edXML:MessageHeader>
<edXML:From><edXML:OrganId>{sender}</edXML:OrganId><edXML:OrganName>UBND huyện Bến Cầu</edXML:OrganName></edXML:From>
<edXML:ResponseFor><edXML:OrganId>{to}</edXML:OrganId><edXML:Code>412/STTTT-VP</edXML:Code><edXML:DocumentId>000.00.13.H53,2026/11/24,412/STTTT-VP</edXML:DocumentId><edXML:PromulgationDate>2026/11/24</edXML:PromulgationDate></edXML:ResponseFor>
<edXML:StatusCode>{code}</edXML:StatusCode><edXML:Description>Đã tiếp nhận</edXML:Description><edXML:Timestamp>2026/11/24 09:15:20</edXML:Timestamp>
</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>""", encoding="utf-8")  # noqa: E501
