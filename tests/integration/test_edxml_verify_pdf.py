"""``edxml verify`` and ``edxml inspect`` judge the PDF signatures inside a package's attachments,
the signatures that survive the national axis (AXIS.md §9), next to the XML signature.

Packages are built here with a real PAdES organisation signature on their PDF (pyHanko through
``agent.signing.pdf``), a dev PKI valid now (the CLI reads the wall clock), and the axis's envelope
rewrite simulated by ``tests.support.xmldsig_fixtures.axis_transit``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.cli import main
from agent.core.edxml import (
    AttachmentSource,
    Business,
    BusinessDocType,
    DocumentCode,
    MessageHeader,
    Organization,
    TraceHeader,
    TraceHeaderList,
    build_edoc,
)
from agent.signing import devpki
from agent.signing.keys import SigningIdentity
from agent.signing.pdf import sign_pdf
from agent.signing.xmldsig import sign_stream
from tests.support.pdfs import make_pdf
from tests.support.xmldsig_fixtures import axis_transit

VIETNAM = dt.timezone(dt.timedelta(hours=7))


@dataclass(frozen=True)
class Pki:
    root: Path
    other_root: Path
    signer: SigningIdentity
    stranger: SigningIdentity


def _identity(issued: devpki.Issued) -> SigningIdentity:
    return SigningIdentity(issued.key, issued.cert, issued.chain)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    base = tmp_path_factory.mktemp("pdf-verify-pki")
    now = dt.datetime.now(dt.UTC)
    root, other = devpki.make_root(now), devpki.make_root(now, "Another Root")
    (base / "root.pem").write_bytes(root.cert_pem())
    (base / "other.pem").write_bytes(other.cert_pem())
    return Pki(
        base / "root.pem",
        base / "other.pem",
        _identity(devpki.make_signer(devpki.make_intermediate(root, now), now)),
        _identity(devpki.make_signer(other, now, organ_name="Someone else")),
    )


def _signed_pdf(identity: SigningIdentity) -> bytes:
    out = io.BytesIO()
    sign_pdf(io.BytesIO(make_pdf()), out, identity, now=dt.datetime.now(dt.UTC))
    return out.getvalue()


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _package(
    pdf: bytes, *, zipped: bool = False, xml_signer: SigningIdentity | None = None
) -> bytes:
    now = dt.datetime.now(VIETNAM).replace(tzinfo=None, microsecond=0)
    sender = Organization(organ_id="000.00.13.H53", organ_name="Sở TT&TT Tây Ninh")
    header = MessageHeader(
        sender=sender,
        recipients=(Organization(organ_id="000.00.31.H53", organ_name="UBND huyện Bến Cầu"),),
        document_id="000.00.13.H53,2026/11/24,7/STTTT-VP",
        code=DocumentCode(code_number="7", code_notation="STTTT-VP"),
        subject="V/v thử chữ ký số",
    )
    trace = TraceHeaderList(
        trace_headers=(TraceHeader(organ_id=sender.organ_id, timestamp=now),),
        business=Business(document_id=header.document_id, business_doc_type=BusinessDocType.NEW),
    )
    if zipped:  # as VNPT's Java library sends some files (AXIS.md §3.4)
        source = AttachmentSource.from_bytes(
            "c1", "cong-van.zip", "application/zip", _zipped("6f1e.pdf", pdf)
        )
    else:
        source = AttachmentSource.from_bytes(
            "c1", "cong-van.pdf", "application/pdf", pdf
        )
    out = io.BytesIO()
    build_edoc(out, header, trace, [source])
    if xml_signer is None:
        return out.getvalue()
    signed = io.BytesIO()
    sign_stream(io.BytesIO(out.getvalue()), signed, xml_signer)
    return signed.getvalue()


def _verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], package: bytes, *args: str
) -> tuple[int, dict[str, object]]:
    path = tmp_path / "package.edxml"
    path.write_bytes(package)
    capsys.readouterr()
    code = main(["edxml", "verify", str(path), *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def _verdicts(report: dict[str, object]) -> list[tuple[str, str, str]]:
    signatures = report["signatures"]
    assert isinstance(signatures, list)
    return [(s["kind"], s["target"], s["status"]) for s in signatures]


def test_a_valid_pdf_signature_makes_the_file_valid(
    pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A package without an XML signature whose PDF carries the organisation's valid PAdES
    signature verifies: exit 0, the PDF's verdict is 'valid', the XML one 'unsigned'."""
    code, report = _verify(
        tmp_path, capsys, _package(_signed_pdf(pki.signer)), "--trust", str(pki.root)
    )
    assert (code, report["valid"]) == (0, True)
    assert _verdicts(report) == [
        ("xml", "package", "unsigned"), ("pdf", "cong-van.pdf", "valid")
    ]


def test_a_zipped_pdf_is_unwrapped_before_it_is_verified(
    pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A signed PDF inside a one-entry ZIP attachment is unwrapped as a receiver does and its
    signature judged under the name it would be delivered under."""
    package = _package(_signed_pdf(pki.signer), zipped=True)
    code, report = _verify(tmp_path, capsys, package, "--trust", str(pki.root))
    assert code == 0
    assert ("pdf", "cong-van.pdf", "valid") in _verdicts(report)


def test_after_the_axis_only_the_pdf_signature_must_hold(
    pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the axis's rewrite the XML signature reads 'altered-in-transit': the file is not
    valid by default (exit 1), and valid with --after-axis because its PDF signature holds."""
    package = axis_transit(_package(_signed_pdf(pki.signer), xml_signer=pki.signer))
    code, report = _verify(tmp_path, capsys, package, "--trust", str(pki.root))
    assert code == 1 and report["valid"] is False
    assert _verdicts(report)[0] == ("xml", "package", "altered-in-transit")
    code, report = _verify(tmp_path, capsys, package, "--trust", str(pki.root), "--after-axis")
    assert (code, report["valid"]) == (0, True)


def test_a_pdf_signed_outside_the_trust_anchors_fails_even_after_the_axis(
    pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PDF signed under another root is 'untrusted': exit 1, --after-axis or not."""
    package = _package(_signed_pdf(pki.stranger))
    code, report = _verify(tmp_path, capsys, package, "--trust", str(pki.root), "--after-axis")
    assert code == 1
    assert ("pdf", "cong-van.pdf", "untrusted") in _verdicts(report)


def test_a_package_without_any_signature_is_not_valid(
    pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No XML signature and an unsigned PDF: nothing to trust, exit 1."""
    code, report = _verify(tmp_path, capsys, _package(make_pdf()), "--trust", str(pki.root))
    assert code == 1
    assert _verdicts(report) == [
        ("xml", "package", "unsigned"), ("pdf", "cong-van.pdf", "unsigned")
    ]


def test_inspect_reports_pdf_signatures_against_given_anchors(
    pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """edxml inspect --trust judges the PDF signature against those anchors ('valid'); without
    anchors the same intact signature shows as 'untrusted'."""
    path = tmp_path / "package.edxml"
    path.write_bytes(_package(_signed_pdf(pki.signer)))
    capsys.readouterr()
    main(["edxml", "inspect", str(path), "--json", "--trust", str(pki.root)])
    with_anchor = json.loads(capsys.readouterr().out)
    main(["edxml", "inspect", str(path), "--json"])
    without = json.loads(capsys.readouterr().out)
    assert ("pdf", "cong-van.pdf", "valid") in _verdicts(with_anchor)
    assert ("pdf", "cong-van.pdf", "untrusted") in _verdicts(without)
