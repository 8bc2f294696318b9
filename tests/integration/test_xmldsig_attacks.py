"""Attack corpus for XML-signature verification: each attack gets its own, specific error class.

Every forged Signature here is cryptographically correct (see ``forge`` in
tests/support/xmldsig_fixtures.py) unless the attack is the tampering itself, so each case fails
for the one rule it targets. Errors are compared by exact class: SignatureWrappingError is a
SignatureStructureError, and the test must tell them apart.
"""

from __future__ import annotations

import datetime as dt

import pytest

from agent.errors import (
    AlteredInTransitError,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateProfileError,
    CertificateRevokedError,
    CommentInjectionError,
    MissingCertificateError,
    SignatureInvalidError,
    SignatureStructureError,
    SignatureWrappingError,
    UntrustedCertificateError,
    VerificationError,
    WeakAlgorithmError,
)
from agent.signing import devpki
from agent.signing.report import SignatureReport, SignatureStatus
from agent.signing.trust import TrustPolicy
from agent.signing.xmldsig_alg import ENVELOPED, EXC_C14N
from tests.support.xmldsig_fixtures import (
    NOW,
    RSA_SHA1,
    SHA1,
    SHA256,
    axis_transit,
    forge,
    identity_of,
    insert_in_header,
    key_info_key_value,
    key_info_x509,
    pki,
    sign,
    signed,
    unsigned,
    verify,
)


def _fails_with(report: SignatureReport, kind: type[VerificationError]) -> VerificationError:
    assert report.error is not None, report
    assert type(report.error) is kind, f"{type(report.error).__name__}: {report.error}"
    return report.error


def _fragment(package: bytes) -> bytes:
    start = package.index(b"<Signature ")
    return package[start : package.index(b"</Signature>") + len(b"</Signature>")]


def _without_signature(package: bytes) -> bytes:
    return package.replace(_fragment(package), b"")


# --- signature wrapping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "anchor",
    [b"<edXML:MessageHeader>", b"<edXML:edXMLManifest version=\"1.0\">", b"<Attachment>"],
    ids=["into-MessageHeader", "into-manifest", "into-attachment"],
)
def test_moved_signature_is_wrapping(anchor: bytes) -> None:
    """The genuine Signature moved out of edXMLHeader is refused as wrapping."""
    package = signed()
    moved = _without_signature(package).replace(anchor, anchor + _fragment(package), 1)
    _fails_with(verify(moved), SignatureWrappingError)


def test_duplicated_signature_is_wrapping() -> None:
    """Two copies of the genuine Signature in the header: wrapping."""
    package = signed()
    fragment = _fragment(package)
    _fails_with(verify(package.replace(fragment, fragment + fragment)), SignatureWrappingError)


def test_second_signature_elsewhere_is_wrapping() -> None:
    """A valid header Signature plus another Signature in the attachments section: wrapping."""
    package = signed()
    extra = package.replace(b"<Attachment>", b"<Attachment>" + _fragment(signed("ec")), 1)
    _fails_with(verify(extra), SignatureWrappingError)


def test_qcvn_signature_outside_the_header_is_counted() -> None:
    """A Signature in the QCVN namespace anywhere else counts as a second Signature too."""
    extra = signed().replace(b"<Attachment>", b"<Attachment><Signature/>", 1)
    _fails_with(verify(extra), SignatureWrappingError)


def test_reference_to_an_id_is_wrapping() -> None:
    """Reference URI="#..." (signing a part, not the whole package) is wrapping."""
    package = forge(unsigned(), pki().identity, uri="#doc")
    _fails_with(verify(package), SignatureWrappingError)


def test_second_reference_is_wrapping() -> None:
    """SignedInfo with two References is wrapping, even though each digest is correct."""
    package = forge(unsigned(), pki().identity, extra_reference=True)
    _fails_with(verify(package), SignatureWrappingError)


def test_object_with_signed_content_is_wrapping() -> None:
    """The classic wrapping: the original header hidden in ds:Object, another one shown."""
    hidden = unsigned()[unsigned().index(b"<edXML:MessageHeader>") :]
    hidden = hidden[: hidden.index(b"</edXML:MessageHeader>") + 22]
    package = forge(
        unsigned(), pki().identity, extra_after_signed_info=f"<Object>{hidden.decode()}</Object>"
    )
    _fails_with(verify(package), SignatureWrappingError)


# --- structure --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "transforms",
    [
        (ENVELOPED, "http://www.w3.org/TR/1999/REC-xpath-19991116"),
        (ENVELOPED, "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"),
        (EXC_C14N,),
        (EXC_C14N, ENVELOPED),
    ],
    ids=["xpath", "with-comments", "not-enveloped", "wrong-order"],
)
def test_transforms_outside_the_allowed_chain_are_structure_errors(
    transforms: tuple[str, ...],
) -> None:
    """Only enveloped-signature followed by at most one exc-c14n / c14n is accepted."""
    package = forge(unsigned(), pki().identity, transforms=transforms)
    _fails_with(verify(package), SignatureStructureError)


# --- comments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "injected"),
    [
        (b"<edXML:OrganId>000.00.13.H53", b"<edXML:OrganId>000.00<!-- -->.13.H53"),
        ("V/v đôn đốc".encode(), "V/v <!--x-->đôn đốc".encode()),
    ],
    ids=["organ-id", "subject"],
)
def test_comment_inside_a_signed_value_is_comment_injection(value: bytes, injected: bytes) -> None:
    """A comment splitting a signed value keeps the digest valid but is refused."""
    package = signed().replace(value, injected, 1)
    assert package != signed()
    _fails_with(verify(package), CommentInjectionError)


def test_comment_between_elements_is_not_an_injection() -> None:
    """A comment in element-only content splits no value: the signature stays valid."""
    package = signed().replace(b"<edXML:Code>", b"<!-- generated --><edXML:Code>", 1)
    assert verify(package).status is SignatureStatus.VALID


# --- keys and algorithms ------------------------------------------------------------------------


def test_key_value_only_is_missing_certificate() -> None:
    """KeyInfo with a bare KeyValue (no certificate) is refused, though the value verifies."""
    package = forge(unsigned(), pki().identity, key_info=key_info_key_value(pki().identity))
    _fails_with(verify(package), MissingCertificateError)


def test_key_value_is_never_used_instead_of_the_certificate() -> None:
    """An attacker signs with their key, puts its KeyValue next to the genuine certificate:
    the certificate's key is the one used, so the signature is invalid."""
    attacker = identity_of(devpki.make_signer(pki().issuing, NOW))
    genuine_cert = key_info_x509(pki().identity).replace("<KeyInfo>", "").replace(
        "</KeyInfo>", ""
    )
    key_info = key_info_key_value(attacker).replace("</KeyInfo>", genuine_cert + "</KeyInfo>")
    package = forge(unsigned(), attacker, key_info=key_info)
    _fails_with(verify(package), SignatureInvalidError)


@pytest.mark.parametrize(
    ("signature_method", "digest_method"),
    [(RSA_SHA1, SHA1), (None, SHA1), (RSA_SHA1, None)],
    ids=["both-sha1", "sha1-digest", "rsa-sha1"],
)
def test_sha1_is_a_weak_algorithm(signature_method: str | None, digest_method: str | None) -> None:
    """SHA-1 as digest or signature method is refused as weak, though it verifies."""
    package = forge(
        unsigned(),
        pki().identity,
        signature_method=signature_method,
        digest_method=digest_method or SHA256,
    )
    error = _fails_with(verify(package), WeakAlgorithmError)
    assert "SHA-1" in error.message


# --- certificates, at the sender's signing time ---------------------------------------------------

SENT = dt.datetime(2024, 11, 5, 1, 30, tzinfo=dt.UTC)  # the example's TraceHeader, 08:30 +07


def _signed_by(issued: devpki.Issued) -> bytes:
    return sign(unsigned(), identity_of(issued))


def test_certificate_expired_at_signing_time() -> None:
    """A certificate that expired before the sender's TraceHeader time: expired."""
    old = devpki.make_signer(
        pki().issuing, NOW, not_before=SENT - dt.timedelta(days=30),
        not_after=SENT - dt.timedelta(hours=1),
    )
    report = verify(_signed_by(old))
    _fails_with(report, CertificateExpiredError)
    assert report.status is SignatureStatus.EXPIRED


def test_certificate_not_yet_valid_at_signing_time() -> None:
    """Valid from 09:00 (+07) but the sender signed at 08:30: not yet valid, although it is
    valid at verification time (10:00) - the signing time, not ``now``, is what counts."""
    late = devpki.make_signer(pki().issuing, NOW, not_before=SENT + dt.timedelta(minutes=30))
    report = verify(_signed_by(late))
    _fails_with(report, CertificateNotYetValidError)
    assert report.status is SignatureStatus.NOT_YET_VALID


def test_certificate_from_an_unconfigured_ca_is_untrusted() -> None:
    """Intact signature, but the trust store holds another root: untrusted."""
    other = TrustPolicy([devpki.make_root(NOW, "Some Other Root").cert])
    report = verify(signed(), other)
    _fails_with(report, UntrustedCertificateError)
    assert report.status is SignatureStatus.UNTRUSTED
    assert report.signer_subject == pki().signer.cert.subject.rfc4514_string()


def test_revoked_certificate() -> None:
    """The issuing CA's CRL lists the signer (key compromise): revoked."""
    crl = devpki.make_crl(pki().issuing, NOW, [pki().signer.cert])
    report = verify(signed(), TrustPolicy([pki().root.cert], [crl]))
    _fails_with(report, CertificateRevokedError)
    assert report.status is SignatureStatus.REVOKED


@pytest.mark.parametrize(
    "issue",
    [
        lambda: devpki.make_signer(pki().issuing, NOW, version1=True),
        lambda: devpki.make_signer(pki().issuing, NOW, key_usage="encipherment-only"),
    ],
    ids=["x509-v1", "encipherment-key-usage"],
)
def test_certificate_outside_the_signing_profile(issue: object) -> None:
    """A v1 certificate, or one whose keyUsage forbids signing: profile error (untrusted)."""
    report = verify(_signed_by(issue()))  # type: ignore[operator]
    _fails_with(report, CertificateProfileError)
    assert report.status is SignatureStatus.UNTRUSTED


# --- altered in transit vs tampering -------------------------------------------------------------


def test_axis_rewrite_is_altered_in_transit_not_invalid() -> None:
    """Re-namespaced Signature + appended TraceHeader + re-indented header: altered in transit;
    the SignedInfo still verifies once the axis's rewrite is undone."""
    report = verify(axis_transit(signed()))
    error = _fails_with(report, AlteredInTransitError)
    assert report.status is SignatureStatus.ALTERED_IN_TRANSIT
    assert "rewrote the envelope" in error.message and "PDF" in error.message
    details = dict(report.details)
    assert details["signed_info_authentic"] == "yes, after undoing the axis's rewrite"
    assert "TraceHeader appended" in details["transit_marks"]


@pytest.mark.parametrize(
    ("renamespace", "trace"), [(False, True), (True, False)], ids=["trace-only", "namespace-only"]
)
def test_each_axis_mark_alone_is_enough(renamespace: bool, trace: bool) -> None:
    """Either mark alone (appended TraceHeader, or QCVN-namespaced Signature) means transit."""
    package = axis_transit(signed(), renamespace=renamespace, trace=trace, reindent=False)
    _fails_with(verify(package), AlteredInTransitError)


def test_reindenting_alone_is_not_a_transit_mark() -> None:
    """Whitespace changes without the axis's marks are plain tampering: invalid."""
    package = axis_transit(signed(), renamespace=False, trace=False)
    _fails_with(verify(package), SignatureInvalidError)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("V/v đôn đốc".encode(), "V/v hủy bỏ".encode()),
        (b"JVBERi0xLjQK", b"JVBERi0xLjUK"),  # the PDF's first bytes
    ],
    ids=["subject", "attachment"],
)
def test_plain_tampering_is_invalid(old: bytes, new: bytes) -> None:
    """A changed value with none of the axis's marks: invalid, not altered in transit."""
    package = signed().replace(old, new, 1)
    assert package != signed()
    report = verify(package)
    _fails_with(report, SignatureInvalidError)
    assert report.status is SignatureStatus.INVALID


def test_tampered_signature_value_is_invalid() -> None:
    """A flipped byte in SignatureValue: invalid."""
    package = signed()
    start = package.index(b"<SignatureValue>") + len(b"<SignatureValue>")
    flipped = b"A" if package[start : start + 1] != b"A" else b"B"
    _fails_with(verify(package[:start] + flipped + package[start + 1 :]), SignatureInvalidError)


def test_the_sandbox_axis_rewrite_is_recognised() -> None:
    """What our own axis emulator does to the envelope (its 'rebuild' transit) reads as altered
    in transit; the attachments section is copied unchanged, as the sandbox does."""
    from agent.sandbox.transit import rebuild_head

    package = signed()
    cut = package.index(b"</edXML:edXMLEnvelope>") + len(b"</edXML:edXMLEnvelope>")
    head = package[:cut] + b"</edXML>"
    rebuilt = rebuild_head(head, edoc=True, now=NOW, trace_organ_id="001.00.20.TT2")
    _fails_with(verify(rebuilt + package[cut:]), AlteredInTransitError)


def test_tampering_after_a_forged_transit_still_is_not_valid() -> None:
    """Documented limit: a forger can add the axis's marks to tampered content; the verdict is
    then altered-in-transit - still not valid, and the signed_info check says whether the
    signature block itself is genuine."""
    package = axis_transit(signed().replace("V/v đôn đốc".encode(), "V/v hủy".encode(), 1))
    report = verify(package)
    assert report.status is SignatureStatus.ALTERED_IN_TRANSIT and not report.ok


def test_hand_placed_signature_in_qcvn_namespace_signed_as_such_is_valid() -> None:
    """VNPT's library writes Signature in the QCVN namespace; signed that way it is valid."""
    from agent.signing.xmldsig_alg import QCVN_NS

    package = forge(unsigned(), pki().identity, namespace=QCVN_NS)
    assert verify(package).status is SignatureStatus.VALID


def test_unsigned_package_with_fake_signature_text_is_unsigned() -> None:
    """Text that merely looks like a signature (escaped) is not a Signature element."""
    package = insert_in_header(unsigned(), b"<!-- <Signature/> -->")
    assert verify(package).status is SignatureStatus.UNSIGNED
