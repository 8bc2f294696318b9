"""Independent check with xmlsec1 (libxmlsec1 + libxml2 + OpenSSL, Debian's package).

Both directions: packages we sign verify with ``xmlsec1 --verify --enabled-key-data x509
--trusted-pem ROOT.pem`` (RSA and ECDSA, through an intermediate CA, with Vietnamese text and
attachments) and fail there once tampered; packages xmlsec1 signs from a template (``ds:``
prefix, inclusive or exclusive C14N, indented SignedInfo) verify with our verifier.
``--verification-time`` pins xmlsec1's clock to the tests' fixed moment.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from agent.core.edxml import AttachmentSource, MemorySink, parse_edoc
from agent.signing.devpki import KeyKind
from agent.signing.report import SignatureStatus
from agent.signing.xmldsig import build_signed_edoc
from agent.signing.xmldsig_alg import C14N, EXC_C14N
from tests.conftest import require_tool
from tests.support.pdfs import make_pdf
from tests.support.xmldsig_fixtures import (
    HEADER_END,
    NOW,
    axis_transit,
    pki,
    signed,
    unsigned,
    verify,
)


def _xmlsec(tmp_path: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    tool = require_tool("xmlsec1")
    return subprocess.run(
        [tool, *args],
        capture_output=True,
        text=True,
        env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def xmlsec_verify(tmp_path: Path, package: bytes, kind: KeyKind = "rsa") -> bool:
    """True when xmlsec1 accepts ``package`` trusting only the dev root of ``kind``."""
    (tmp_path / "root.pem").write_bytes(pki(kind).root.cert_pem())
    (tmp_path / "package.edxml").write_bytes(package)
    result = _xmlsec(
        tmp_path,
        [
            "--verify", "--enabled-key-data", "x509", "--trusted-pem", "root.pem",
            "--verification-time", NOW.strftime("%Y-%m-%d %H:%M:%S"), "package.edxml",
        ],
    )
    return result.returncode == 0 and "OK" in result.stdout + result.stderr


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_xmlsec1_accepts_our_signature_through_an_intermediate(
    tmp_path: Path, kind: KeyKind
) -> None:
    """RSA-SHA256 and ECDSA-SHA256 (raw r||s) signatures, chain leaf → issuing CA → root."""
    assert verify(signed(kind), pki(kind).trust).ok
    assert xmlsec_verify(tmp_path, signed(kind), kind)


def _vietnamese_package(kind: KeyKind) -> bytes:
    sink = MemorySink()
    package = parse_edoc(io.BytesIO(unsigned()), sink)
    attachments = [
        AttachmentSource.from_bytes(
            "9b1f0c2e-0000-4000-8000-000000000001", "Công văn 412 - Sở TT&TT.pdf",
            "application/pdf", make_pdf(pages=3, text="Cong van 412"),
            description="Công văn số 412/STTTT-VP về việc đôn đốc kết nối <Trục liên thông>",
        ),
        AttachmentSource.from_bytes(
            "9b1f0c2e-0000-4000-8000-000000000002", "Phụ lục & danh sách.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes(range(256)) * 1000,
            description="Phụ lục: danh sách đơn vị \"chưa kết nối\"",
        ),
    ]
    out = io.BytesIO()
    build_signed_edoc(
        out, package.header, package.trace_list, attachments, pki(kind).identity
    )
    return out.getvalue()


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_xmlsec1_accepts_vietnamese_text_and_attachments(tmp_path: Path, kind: KeyKind) -> None:
    """Signed while building, with Vietnamese names, & < " in values and two attachments."""
    package = _vietnamese_package(kind)
    assert "Phụ lục &amp; danh sách.xlsx".encode() in package
    assert verify(package, pki(kind).trust).ok
    assert xmlsec_verify(tmp_path, package, kind)


@pytest.mark.parametrize(
    ("old", "new"),
    [("Tây Ninh".encode(), "Tây  Ninh".encode()), (b"JVBERi0xLjQK", b"JVBERi0xLjUK")],
    ids=["header-text", "attachment-bytes"],
)
def test_tampered_package_fails_in_xmlsec1_too(tmp_path: Path, old: bytes, new: bytes) -> None:
    """A package changed after signing fails in xmlsec1 as well as here."""
    package = signed().replace(old, new, 1)
    assert package != signed()
    assert verify(package).status is SignatureStatus.INVALID
    assert not xmlsec_verify(tmp_path, package)


def test_axis_rewrite_fails_in_xmlsec1_too(tmp_path: Path) -> None:
    """After the axis's rewrite xmlsec1 cannot verify either: the signature does not survive."""
    package = axis_transit(signed())
    assert verify(package).status is SignatureStatus.ALTERED_IN_TRANSIT
    assert not xmlsec_verify(tmp_path, package)


_TEMPLATE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
      <ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="{c14n}"/>
        <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#{method}"/>
        <ds:Reference URI="">
          <ds:Transforms>
            <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
            <ds:Transform Algorithm="{c14n}"/>
          </ds:Transforms>
          <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
          <ds:DigestValue/>
        </ds:Reference>
      </ds:SignedInfo>
      <ds:SignatureValue/>
      <ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
    </ds:Signature>"""


@pytest.mark.parametrize(
    ("kind", "c14n"),
    [("rsa", EXC_C14N), ("rsa", C14N), ("ec", C14N)],
    ids=["rsa-exclusive", "rsa-inclusive", "ecdsa-inclusive"],
)
def test_we_accept_what_xmlsec1_signs(tmp_path: Path, kind: KeyKind, c14n: str) -> None:
    """xmlsec1 fills a ds:-prefixed, indented template; inclusive C14N of SignedInfo then
    carries the edXML namespaces and the root's xml:lang in scope - our verifier agrees."""
    keys = pki(kind)
    method = "ecdsa-sha256" if kind == "ec" else "rsa-sha256"
    fragment = _TEMPLATE.format(c14n=c14n, method=method).encode()
    template = unsigned().replace(HEADER_END, fragment + HEADER_END)
    template = template.replace(b'<edXML xmlns=', b'<edXML xml:lang="vi" xmlns=', 1)
    (tmp_path / "template.edxml").write_bytes(template)
    (tmp_path / "key.pem").write_bytes(keys.signer.key_pem())
    (tmp_path / "cert.pem").write_bytes(keys.signer.cert_pem())
    (tmp_path / "issuing.pem").write_bytes(keys.issuing.cert_pem())
    result = _xmlsec(
        tmp_path,
        ["--sign", "--privkey-pem", "key.pem,cert.pem,issuing.pem", "--output", "signed.edxml",
         "template.edxml"],
    )
    assert result.returncode == 0, result.stderr
    package = (tmp_path / "signed.edxml").read_bytes()
    assert xmlsec_verify(tmp_path, package, kind)
    report = verify(package, keys.trust)
    assert report.status is SignatureStatus.VALID, report.error
    assert dict(report.details)["canonicalization"] == c14n
