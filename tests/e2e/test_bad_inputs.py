"""Bad inputs, each ending in failed/ (sender side) or quarantine/ (receiver side) with an error
file that says what was wrong and how to fix it; nothing bad is delivered."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

from agent.core.edxml.builder import AttachmentSource, build_edoc
from agent.core.edxml.model import (
    Business,
    BusinessDocType,
    DocumentCode,
    DocumentType,
    MessageHeader,
    Organization,
    PromulgationInfo,
    TraceHeader,
    TraceHeaderList,
)
from agent.signing.keys import SigningIdentity
from agent.signing.pdf_sign import sign_pdf
from tests.integration.services.fixtures import (
    A_SYS,
    DISTRICT,
    SECRETS,
    STTTT,
    UNKNOWN,
    Pki,
    drop_file,
    drop_folder,
    metadata,
    pdf,
)
from tests.support.axis_reference_client import AxisReferenceClient

from .conftest import AgentFactory
from .harness import AgentProcess, SandboxProcess, wait_for

DATA = Path(__file__).parent / "data"
UNREGISTERED = "000.00.99.H53"  # served by agent A, unknown to the axis


def _error(agent: AgentProcess, organ: str, area: str, name: str) -> dict[str, Any]:
    folder = wait_for(lambda: next((p for p in agent.entries(organ, area)
                                    if p.name.endswith(name)), None), 20, f"{name} in {area}")
    error: dict[str, Any] = json.loads((folder / "error.json").read_text())
    assert error["message"] and error["hint"], error
    assert (folder / "error.txt").read_text().strip()
    return error


def _rogue_package(pki: Pki) -> bytes:
    """A document whose PDF carries a signature from a CA nobody trusts."""
    identity = SigningIdentity.from_pem(pki.rogue_key.read_bytes(), pki.rogue_chain.read_bytes())
    signed = io.BytesIO()
    sign_pdf(io.BytesIO(pdf()), signed, identity, now=dt.datetime.now(dt.UTC))
    header = MessageHeader(sender=Organization(organ_id=STTTT, organ_name="Sở giả mạo"),
                           recipients=(Organization(organ_id=DISTRICT),),
                           document_id=f"{STTTT},2024/11/06,500/ROGUE",
                           code=DocumentCode(code_number="500", code_notation="ROGUE"),
                           promulgation_info=PromulgationInfo(
                               promulgation_date=dt.date(2024, 11, 6)),
                           document_type=DocumentType(type=1, type_name="Công văn"),
                           subject="Giả mạo")
    trace = TraceHeaderList(trace_headers=(TraceHeader(organ_id=STTTT,
                                                       timestamp=dt.datetime(2024, 11, 6)),),
                            business=Business(document_id=header.document_id,
                                              business_doc_type=BusinessDocType.NEW))
    out = io.BytesIO()
    build_edoc(out, header, trace, [AttachmentSource.from_bytes(
        "c1", "500-ROGUE.pdf", "application/pdf", signed.getvalue())])
    return out.getvalue()


def _traversal_package() -> bytes:
    text = (DATA / "edoc-new.edxml").read_bytes().replace(b"000.22.31.H53", DISTRICT.encode())
    text = text.replace(b"412-STTTT-VP.pdf", b"../../../etc/cron.d/evil")
    return text.replace(b"000.00.13.H53,2024/11/05,412/STTTT-VP", b"000.00.13.H53,x,666/EVIL")


def test_each_bad_input_ends_in_failed_or_quarantine_with_a_reason(
    agents: AgentFactory, sandbox: SandboxProcess, pki: Pki,
) -> None:
    """Malformed metadata, an unknown recipient, a missing attachment, hostile XML and a sender
    the axis refuses go to A's failed/; an untrusted signer and a hostile attachment go to B's
    quarantine/ (acknowledged as failed). B's inbox stays empty."""
    a = agents("a", organs=[STTTT, UNREGISTERED]).start()
    b = agents("b", extra="verification: {on_failure: quarantine}\n").start()
    outbox = a.folder(STTTT, "outbox")
    drop_folder(outbox, "malformed", {"to": [DISTRICT], "number": 412})
    drop_folder(outbox, "unknown-recipient", metadata(to=[UNKNOWN]))
    drop_folder(outbox, "missing-attachment",
                metadata(to=[DISTRICT], attachments=[{"file": "absent.pdf"}]), files={})
    hostile = re.sub(rb"^(<\?xml[^>]*\?>)", rb'\1<!DOCTYPE d [<!ENTITY e "x">]>',
                     (DATA / "edoc-new.edxml").read_bytes())
    drop_file(outbox, "hostile.edxml", hostile)
    drop_folder(a.folder(UNREGISTERED, "outbox"), "refused-sender", metadata(to=[DISTRICT]))

    problems = "\n".join(_error(a, STTTT, "failed", "-malformed")["problems"])
    assert "At 'number'" in problems and "At 'notation': required" in problems
    assert UNKNOWN in _error(a, STTTT, "failed", "-unknown-recipient")["message"]
    assert "absent.pdf" in "\n".join(
        _error(a, STTTT, "failed", "-missing-attachment")["problems"])
    assert _error(a, STTTT, "failed", "-hostile.edxml")["code"] == "xml.entity-declaration"
    refused = _error(a, UNREGISTERED, "failed", "-refused-sender")
    assert refused["code"] == "axis.rejected" and "19" in refused["message"]

    client = AxisReferenceClient(sandbox.url, A_SYS, SECRETS[A_SYS])
    for package in (_rogue_package(pki), _traversal_package()):
        assert client.send_edoc(package, from_=STTTT)["status"] == "OK"
    wait_for(lambda: len(b.entries(DISTRICT, "quarantine")) == 2, 20, "two quarantined")
    errors = [json.loads((f / "error.json").read_text())
              for f in b.entries(DISTRICT, "quarantine")]
    codes = sorted(e["code"] for e in errors)
    assert codes == ["attachment.unsafe-name", "signature.verification"]
    untrusted = next(e for e in errors if e["code"] == "signature.verification")
    assert "untrusted" in untrusted["message"] and untrusted["hint"]
    wait_for(lambda: len([e for e in sandbox.ledger("acknowledged", message_type="edoc")
                          if e["detail"] == "fail"]) == 2, 20, "two acknowledged as failed")
    assert b.entries(DISTRICT, "inbox") == []
