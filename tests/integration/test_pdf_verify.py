"""verify_pdf: one honest report per signature, and never an exception for a bad file.

Signatures made by "other software" come from ``pdfs.sign_like_other_software`` (pyHanko's
SimpleSigner, independent of agent.signing), which can sign with any certificate at any claimed
time: that is how expired, not-yet-valid and wrong-profile signers are produced. Fixed clocks only.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from agent.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateProfileError,
    CertificateRevokedError,
    SignatureInvalidError,
    SignatureStructureError,
    UntrustedCertificateError,
    WeakAlgorithmError,
)
from agent.signing import devpki
from agent.signing.keys import SigningIdentity
from agent.signing.pdf import sign_pdf, verify_pdf
from agent.signing.report import SignatureReport, SignatureStatus
from agent.signing.trust import TrustPolicy
from tests.support import pdfs

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
EPOCH = NOW - dt.timedelta(days=365)
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def root() -> devpki.Issued:
    return devpki.make_root(EPOCH)


@pytest.fixture(scope="module")
def inter(root: devpki.Issued) -> devpki.Issued:
    return devpki.make_intermediate(root, EPOCH)


@pytest.fixture(scope="module")
def signer(inter: devpki.Issued) -> devpki.Issued:
    return devpki.make_signer(inter, NOW)


@pytest.fixture(scope="module")
def policy(root: devpki.Issued) -> TrustPolicy:
    return TrustPolicy([root.cert])


@pytest.fixture(scope="module")
def signed(signer: devpki.Issued) -> bytes:
    """A two-page PDF with the organisation's PAdES signature made by sign_pdf at NOW."""
    out = io.BytesIO()
    identity = SigningIdentity(signer.key, signer.cert, signer.chain)
    sign_pdf(io.BytesIO(pdfs.make_pdf(pages=2)), out, identity, now=NOW)
    return out.getvalue()


def _verify(
    data: bytes, policy: TrustPolicy, now: dt.datetime = NOW + DAY
) -> list[SignatureReport]:
    return verify_pdf(io.BytesIO(data), policy, target="van-ban.pdf", now=now)


def _one(data: bytes, policy: TrustPolicy, now: dt.datetime = NOW + DAY) -> SignatureReport:
    [report] = _verify(data, policy, now)
    assert report.kind == "pdf" and report.target == "van-ban.pdf"
    return report


def _foreign(issued: devpki.Issued, when: dt.datetime, **kw: object) -> bytes:
    return pdfs.sign_like_other_software(
        pdfs.make_pdf(),
        issued.key,
        issued.cert,
        issued.chain,
        when=when,
        **kw,  # type: ignore[arg-type]
    )


# --- valid ------------------------------------------------------------------------------------


def test_valid_signature_report(signed: bytes, signer: devpki.Issued, policy: TrustPolicy) -> None:
    """A good signature: valid, signer subject, signing time and the facts in details."""
    report = _one(signed, policy)
    assert report.status is SignatureStatus.VALID and report.error is None
    assert report.signer_subject == signer.cert.subject.rfc4514_string()
    assert report.signing_time == NOW
    details = dict(report.details)
    assert details["coverage"] == "entire file"
    assert details["digest_algorithm"] == "sha256"
    assert details["serial"] == f"{signer.cert.serial_number:x}"
    assert details["signing_time_source"].startswith("signature dictionary /M")
    assert report.to_dict()["status"] == "valid"


def test_foreign_signature_time_from_signed_attributes(
    signer: devpki.Issued, policy: TrustPolicy
) -> None:
    """An adbe.pkcs7.detached signature's time comes from the CMS signingTime attribute."""
    when = NOW - dt.timedelta(hours=5)
    report = _one(_foreign(signer, when), policy)
    assert report.ok
    assert report.signing_time == when
    assert dict(report.details)["signing_time_source"] == "CMS signingTime attribute"


def test_chain_comes_from_the_signature(inter: devpki.Issued, policy: TrustPolicy) -> None:
    """Only the root is configured: the intermediate embedded in the CMS completes the path;
    without it embedded, the same signer is untrusted (nothing is fetched)."""
    issued = devpki.make_signer(inter, NOW)
    with_chain = _foreign(issued, NOW)
    bare = pdfs.sign_like_other_software(pdfs.make_pdf(), issued.key, issued.cert, (), when=NOW)
    assert _one(with_chain, policy).ok
    assert isinstance(_one(bare, policy).error, UntrustedCertificateError)


def test_revocation_checked_detail(
    root: devpki.Issued, inter: devpki.Issued, signed: bytes
) -> None:
    """With CRLs for every CA of the path, details say revocation was checked."""
    crls = [devpki.make_crl(inter, NOW), devpki.make_crl(root, NOW)]
    report = _one(signed, TrustPolicy([root.cert], crls, require_revocation_info=True))
    assert report.ok
    assert dict(report.details)["revocation"] == "checked against configured CRLs"


def test_future_signing_time_is_not_believed(signer: devpki.Issued, policy: TrustPolicy) -> None:
    """A signing time after ``now`` is reported but the certificate is checked at ``now``."""
    report = _one(_foreign(signer, NOW + 10 * DAY), policy, now=NOW)
    assert report.ok
    assert "in the future" in dict(report.details)["certificate_checked_at"]


# --- not signed, not a PDF --------------------------------------------------------------------


def test_unsigned_pdf(policy: TrustPolicy) -> None:
    """A PDF without signatures yields exactly one 'unsigned' report."""
    report = _one(pdfs.make_pdf(pages=3), policy)
    assert report.status is SignatureStatus.UNSIGNED
    assert report.error is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"PK\x03\x04 a zip, not a pdf",
        pdfs.break_xref(pdfs.make_pdf()),
        pdfs.make_encrypted_pdf(user_password="mat-khau"),
    ],
    ids=["empty", "zip", "broken-xref", "encrypted"],
)
def test_unreadable_input_is_an_invalid_report(data: bytes, policy: TrustPolicy) -> None:
    """Non-PDFs, damaged or password-protected PDFs give one invalid report, never an exception."""
    report = _one(data, policy)
    assert report.status is SignatureStatus.INVALID
    assert isinstance(report.error, SignatureStructureError)
    assert report.error.hint


def test_truncated_signed_pdf(signed: bytes, policy: TrustPolicy) -> None:
    """A signed PDF cut short in transit is reported invalid."""
    assert _one(signed[: len(signed) // 2], policy).status is SignatureStatus.INVALID


def test_garbage_signature_container(signed: bytes, policy: TrustPolicy) -> None:
    """A /Contents that is not a CMS blob (outside the byte range) is invalid, not a crash."""
    match = re.search(rb"/Contents <([0-9a-fA-F]+)>", signed)
    assert match
    zeroed = signed[: match.start(1)] + b"0" * len(match.group(1)) + signed[match.end(1) :]
    report = _one(zeroed, policy)
    assert report.status is SignatureStatus.INVALID
    assert isinstance(report.error, SignatureStructureError)


# --- tampering --------------------------------------------------------------------------------


def test_tampered_byte_in_signed_range(
    signed: bytes, root: devpki.Issued, policy: TrustPolicy
) -> None:
    """Changing one byte of page text inside the signed range: invalid for us and for pyHanko."""
    tampered = pdfs.replace_once(signed, b"trang 1)", b"trang 7)")
    report = _one(tampered, policy)
    assert report.status is SignatureStatus.INVALID
    assert isinstance(report.error, SignatureInvalidError)
    assert "digest" in report.error.message
    anchor = asn1_x509.Certificate.load(root.cert.public_bytes(Encoding.DER))
    [sig] = PdfFileReader(io.BytesIO(tampered)).embedded_signatures
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[anchor], moment=NOW))
    assert not status.intact


def test_content_changed_by_later_update(signed: bytes, policy: TrustPolicy) -> None:
    """A later incremental update that draws on the page keeps the bytes intact but is invalid:
    what is displayed is no longer what was signed."""
    changed = pdfs.append_page_content(signed, b"BT /F1 40 Tf 80 420 Td (DA SUA) Tj ET")
    report = _one(changed, policy)
    assert report.status is SignatureStatus.INVALID
    assert isinstance(report.error, SignatureInvalidError)
    assert "changed after this signature" in report.error.message
    assert dict(report.details)["coverage"].startswith("revision 2")


def test_sha1_digest_is_weak(signer: devpki.Issued, policy: TrustPolicy) -> None:
    """A signature over a SHA-1 digest is invalid with WeakAlgorithmError."""
    report = _one(_foreign(signer, NOW, md_algorithm="sha1"), policy)
    assert report.status is SignatureStatus.INVALID
    assert isinstance(report.error, WeakAlgorithmError)


# --- trust ------------------------------------------------------------------------------------


def test_untrusted_root(signed: bytes, signer: devpki.Issued) -> None:
    """Intact but chaining to an unconfigured root: untrusted, with the signer still named."""
    other = TrustPolicy([devpki.make_root(EPOCH, "Unrelated Root").cert])
    report = _one(signed, other)
    assert report.status is SignatureStatus.UNTRUSTED
    assert isinstance(report.error, UntrustedCertificateError)
    assert report.signer_subject == signer.cert.subject.rfc4514_string()


def test_revoked_signer(
    signed: bytes, root: devpki.Issued, inter: devpki.Issued, signer: devpki.Issued
) -> None:
    """The signer listed on the configured CRL: revoked."""
    policy = TrustPolicy([root.cert], [devpki.make_crl(inter, NOW + DAY, [signer.cert])])
    report = _one(signed, policy)
    assert report.status is SignatureStatus.REVOKED
    assert isinstance(report.error, CertificateRevokedError)


def test_expired_at_signing_time(inter: devpki.Issued, policy: TrustPolicy) -> None:
    """Signed (by other software) a day after the certificate expired: expired."""
    old = devpki.make_signer(inter, NOW, not_before=NOW - 60 * DAY, not_after=NOW - 2 * DAY)
    report = _one(_foreign(old, NOW - DAY), policy)
    assert report.status is SignatureStatus.EXPIRED
    assert isinstance(report.error, CertificateExpiredError)


def test_valid_when_signed_before_expiry(inter: devpki.Issued, policy: TrustPolicy) -> None:
    """The same kind of certificate, signed while it was valid, stays valid after it expired."""
    old = devpki.make_signer(inter, NOW, not_before=NOW - 60 * DAY, not_after=NOW - 2 * DAY)
    assert _one(_foreign(old, NOW - 10 * DAY), policy).ok


def test_not_yet_valid_at_signing_time(inter: devpki.Issued, policy: TrustPolicy) -> None:
    """Signed before the certificate's notBefore: not-yet-valid."""
    early = devpki.make_signer(inter, NOW, not_before=NOW + DAY, not_after=NOW + 90 * DAY)
    report = _one(_foreign(early, NOW), policy, now=NOW + 2 * DAY)
    assert report.status is SignatureStatus.NOT_YET_VALID
    assert isinstance(report.error, CertificateNotYetValidError)


@pytest.mark.parametrize(
    "profile", [{"version1": True}, {"key_usage": "encipherment-only"}], ids=["v1", "key-usage"]
)
def test_wrong_certificate_profile(
    inter: devpki.Issued, policy: TrustPolicy, profile: dict[str, object]
) -> None:
    """v1 or encipherment-only signer certificates: untrusted with CertificateProfileError."""
    issued = devpki.make_signer(inter, NOW, **profile)  # type: ignore[arg-type]
    report = _one(_foreign(issued, NOW), policy)
    assert report.status is SignatureStatus.UNTRUSTED
    assert isinstance(report.error, CertificateProfileError)


def test_one_report_per_signature_each_judged_alone(
    inter: devpki.Issued, signer: devpki.Issued, policy: TrustPolicy
) -> None:
    """An expired competent-person signature followed by a good organisation signature:
    two reports, in signing order, each with its own verdict."""
    old = devpki.make_signer(inter, NOW, not_before=NOW - 60 * DAY, not_after=NOW - 2 * DAY)
    first = _foreign(old, NOW - DAY)
    out = io.BytesIO()
    sign_pdf(
        io.BytesIO(first), out, SigningIdentity(signer.key, signer.cert, signer.chain), now=NOW
    )
    reports = _verify(out.getvalue(), policy)
    assert [r.status for r in reports] == [SignatureStatus.EXPIRED, SignatureStatus.VALID]
    assert [r.index for r in reports] == [0, 1]
