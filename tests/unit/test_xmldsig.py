"""XML signatures on edXML packages: signing, placement, verification verdicts (in memory).

The attack corpus (one specific error per attack) is in tests/integration/test_xmldsig_attacks.py;
the independent check against xmlsec1 in tests/integration/test_xmldsig_xmlsec.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import threading
from typing import BinaryIO

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from agent.core.edxml import (
    AttachmentSource,
    EdocPackage,
    MemorySink,
    build_edoc,
    parse_edoc,
    parse_status,
)
from agent.errors import SignatureInvalidError, SigningError
from agent.signing import devpki
from agent.signing.devpki import KeyKind
from agent.signing.report import SignatureStatus
from agent.signing.xmldsig import (
    build_signed_edoc,
    build_signed_status,
    digest_built,
    parse_and_verify,
    sign_built,
    signing_time,
    transit_marks,
)
from agent.signing.xmldsig_alg import C14N, DSIG_NS, ENVELOPED, EXC_C14N, QCVN_NS
from agent.signing.xmldsig_facts import SignatureFacts, TraceFacts
from agent.signing.xmldsig_sign import canonicalize_fragment
from tests.support.xmldsig_fixtures import (
    NOW,
    SENDER_SIGNING_TIME,
    SHA256,
    SHA384,
    SHA512,
    document_digest,
    forge,
    identity_of,
    pki,
    sign,
    signed,
    unsigned,
    verify,
)
from tests.unit.edxml.examples import STATUS_03


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_signed_package_verifies_at_the_senders_time(kind: KeyKind) -> None:
    """A package we sign verifies: signer named, signing time = the sender's TraceHeader (UTC+7)."""
    keys = pki(kind)
    report = verify(signed(kind), keys.trust)
    assert report.status is SignatureStatus.VALID, report.error
    assert report.signer_subject == keys.signer.cert.subject.rfc4514_string()
    assert report.signing_time == SENDER_SIGNING_TIME
    assert (report.kind, report.target) == ("xml", "package")
    assert dict(report.details)["signing_time_source"] == "sender's TraceHeader Timestamp"


def test_signing_adds_only_the_signature_as_last_child_of_the_header() -> None:
    """The signed package is the unsigned one plus one Signature, right after TraceHeaderList."""
    package = signed()
    start = package.index(b"<Signature ")
    end = package.index(b"</Signature>") + len(b"</Signature>")
    assert package[:start] + package[end:] == unsigned()
    assert package[:start].endswith(b"</edXML:TraceHeaderList>")
    assert re.match(rb"\s*</edXML:edXMLHeader>", package[end:])
    assert package[start:end].startswith(f'<Signature xmlns="{DSIG_NS}"><SignedInfo>'.encode())


def _rebuild_inputs() -> tuple[EdocPackage, list[AttachmentSource]]:
    sink = MemorySink()
    package = parse_edoc(io.BytesIO(unsigned()), sink)
    attachments = [
        AttachmentSource.from_bytes(
            a.content_id, a.attachment_name or "", a.content_type or "", sink.payloads[a.index],
            description=a.description,
        )
        for a in package.attachments
    ]
    return package, attachments


def test_signing_while_building_equals_signing_the_built_file() -> None:
    """build_signed_edoc (two builds through a pipe) and sign_stream of the unsigned build give
    the same bytes (RSA PKCS#1 v1.5 is deterministic), and the result verifies."""
    package, attachments = _rebuild_inputs()
    plain = io.BytesIO()
    build_edoc(plain, package.header, package.trace_list, attachments)
    by_copy = sign(plain.getvalue(), pki().identity)
    built = io.BytesIO()
    report, signature = build_signed_edoc(
        built, package.header, package.trace_list, attachments, pki().identity
    )
    assert built.getvalue() == by_copy
    assert report.bytes_written == len(by_copy)
    assert verify(by_copy).status is SignatureStatus.VALID
    assert signature.fragment in by_copy


@pytest.mark.parametrize(
    "variant",
    [
        lambda p: b"\xef\xbb\xbf \n" + p,
        lambda p: p.replace(
            b"</edXML:TraceHeaderList>",
            b"</edXML:TraceHeaderList><!-- </edXML:edXMLHeader> -->",
        ),
        lambda p: p.replace(
            b"<edXML:Content>",
            b"<edXML:Content><![CDATA[</edXML:edXMLHeader>]]>" + "ế".encode() * 60_000,
        ),
        lambda p: p.replace(b"</edXML:edXMLHeader>", b"</edXML:edXMLHeader\n  >"),
    ],
    ids=["bom-and-blank", "end-tag-in-comment", "long-header-with-cdata", "spaced-end-tag"],
)
def test_signature_goes_exactly_before_the_real_header_end(variant: object) -> None:
    """Byte positions are exact whatever precedes the end tag: a BOM, look-alike end tags in a
    comment or CDATA, a header far longer than the read windows, an end tag with spaces."""
    original = variant(unsigned())  # type: ignore[operator]
    package = sign(original, pki().identity)
    start = package.index(b"<Signature ")
    end = package.index(b"</Signature>") + len(b"</Signature>")
    assert package[:start] + package[end:] == original
    assert re.match(rb"\s*</edXML:edXMLHeader\s*>", package[end:])
    assert package[:start].rstrip().endswith(b">")
    report = verify(package)
    assert report.status is SignatureStatus.VALID, report.error


def test_signed_status_package_verifies_at_now() -> None:
    """A status package (no TraceHeaderList) signed while building verifies; with no sender
    TraceHeader the certificate is judged at ``now``."""
    status = parse_status(io.BytesIO(STATUS_03))
    out = io.BytesIO()
    build_signed_status(out, status.header, pki().identity)
    report = verify(out.getvalue())
    assert report.status is SignatureStatus.VALID, report.error
    assert report.signing_time == NOW
    assert parse_status(io.BytesIO(out.getvalue())).header == status.header


def test_ecdsa_signature_value_is_raw_r_and_s() -> None:
    """XMLDSig ECDSA is r||s (64 bytes on P-256), not DER; it checks against the canonical
    SignedInfo once converted back to DER."""
    package = signed("ec")
    value = base64.b64decode(re.search(rb"<SignatureValue>(.*?)</", package).group(1))  # type: ignore[union-attr]
    assert len(value) == 64
    signed_info = re.search(rb"<SignedInfo>.*?</SignedInfo>", package).group(0)  # type: ignore[union-attr]
    canonical = canonicalize_fragment(
        signed_info.replace(b"<SignedInfo>", f'<SignedInfo xmlns="{DSIG_NS}">'.encode(), 1)
    )
    der = encode_dss_signature(int.from_bytes(value[:32], "big"), int.from_bytes(value[32:], "big"))
    public = pki("ec").signer.cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(der, canonical, ec.ECDSA(hashes.SHA256()))


def test_reference_digest_is_the_enveloped_exclusive_c14n_sha256() -> None:
    """DigestValue equals SHA-256 of exc-c14n of the package with the Signature removed."""
    package = signed()
    digest = re.search(rb"<DigestValue>(.*?)</", package).group(1)  # type: ignore[union-attr]
    expected = document_digest(unsigned(), exclusive=True, hash_name="sha256")
    assert base64.b64decode(digest) == expected


def test_signing_refuses_a_package_that_already_has_a_signature() -> None:
    """sign_stream will not add a second Signature."""
    with pytest.raises(SigningError, match="already carries a Signature"):
        sign(signed(), pki().identity)


def test_signing_refuses_what_is_not_an_edxml_package() -> None:
    """A foreign root element, or an edXML without a header, is not signed."""
    with pytest.raises(SigningError, match="root element"):
        sign(b"<invoice><total>1</total></invoice>", pki().identity)
    no_header = f'<edXML xmlns="{QCVN_NS}"><edXMLEnvelope/></edXML>'.encode()
    with pytest.raises(SigningError, match="no edXML:edXMLHeader"):
        sign(no_header, pki().identity)


def test_unsigned_package_is_reported_unsigned() -> None:
    """No Signature anywhere: status unsigned, no error."""
    report = verify(unsigned())
    assert report.status is SignatureStatus.UNSIGNED and report.error is None


def test_parse_and_verify_reads_business_data_from_the_verified_pass() -> None:
    """One pass gives the parsed package and the verdict; a tampered Subject shows in both."""
    package, report = parse_and_verify(io.BytesIO(signed()), pki().trust, NOW)
    assert report.ok
    assert isinstance(package, EdocPackage)
    assert package.header.document_id == "000.00.13.H53,2024/11/05,412/STTTT-VP"
    tampered = signed().replace("V/v đôn đốc".encode(), "V/v hủy bỏ".encode())
    package, report = parse_and_verify(io.BytesIO(tampered), pki().trust, NOW)
    assert isinstance(package, EdocPackage)
    assert (package.header.subject or "").startswith("V/v hủy bỏ")
    assert report.status is SignatureStatus.INVALID
    assert isinstance(report.error, SignatureInvalidError)


@pytest.mark.parametrize("digest_method", [SHA256, SHA384, SHA512])
@pytest.mark.parametrize(
    "transforms",
    [(ENVELOPED, EXC_C14N), (ENVELOPED, C14N), (ENVELOPED,)],
    ids=["exc", "inc", "default"],
)
def test_every_allowed_digest_and_canonicalization_verifies(
    digest_method: str, transforms: tuple[str, ...]
) -> None:
    """The observer digests speculatively until SignedInfo names the pipeline; each allowed
    choice (SHA-256/384/512 x exclusive / inclusive / default C14N) then verifies."""
    package = forge(unsigned(), pki().identity, digest_method=digest_method, transforms=transforms)
    report = verify(package)
    assert report.status is SignatureStatus.VALID, report.error


def _facts(**kw: object) -> SignatureFacts:
    facts = SignatureFacts(signatures=1, signature_ns=DSIG_NS, from_organ_id="000.00.13.H53")
    for key, value in kw.items():
        setattr(facts, key, value)
    return facts


def test_signing_time_is_the_senders_trace_capped_at_now() -> None:
    """Sender's own TraceHeader (UTC+7) wins; absent, unreadable or future stamps give ``now``."""
    own = TraceFacts("000.00.13.H53", "2024/11/05 08:30:00")
    other = TraceFacts("001.00.20.TT2", "2024/11/05 09:00:00")
    at, source = signing_time(_facts(traces=[other, own]), NOW)
    assert at == SENDER_SIGNING_TIME and "sender" in source
    assert signing_time(_facts(traces=[other]), NOW)[0] == NOW
    assert signing_time(_facts(traces=[TraceFacts("000.00.13.H53", "5/11/2024")]), NOW)[0] == NOW
    future = TraceFacts("000.00.13.H53", "2030/01/01 00:00:00")
    assert signing_time(_facts(traces=[future]), NOW) == (
        NOW, "verification time (the sender's TraceHeader Timestamp is in the future)"
    )


def test_transit_marks_are_the_qcvn_namespace_and_a_trace_after_the_senders() -> None:
    """Only a QCVN-namespaced Signature or a TraceHeader after the sender's own count as marks."""
    own = TraceFacts("000.00.13.H53", "2024/11/05 08:30:00")
    axis = TraceFacts(None, "2024/11/05 08:31:00")
    assert transit_marks(_facts(traces=[own])) == []
    assert transit_marks(_facts(traces=[axis, own])) == []
    assert transit_marks(_facts(traces=[own, axis])) == [
        "TraceHeader appended after the sender's own"
    ]
    assert transit_marks(_facts(signature_ns=QCVN_NS, traces=[own])) == [
        "Signature moved into the QCVN namespace"
    ]


def test_a_failing_package_writer_surfaces_its_own_error() -> None:
    """When the builder fails half-way, sign_built raises the builder's error, not the XML
    reader's complaint about a truncated document."""

    def write(stream: BinaryIO, fragment: bytes) -> None:
        stream.write(unsigned()[:500])
        raise ValueError("attachment source vanished")

    with pytest.raises(ValueError, match="attachment source vanished"):
        sign_built(write, io.BytesIO(), pki().identity)


def test_a_refused_package_stops_the_writer_thread() -> None:
    """When the digester refuses the package early, the writer thread ends (broken pipe) and
    the digester's error is raised."""
    before = threading.active_count()

    def write(stream: BinaryIO, fragment: bytes) -> None:
        stream.write(b"<invoice>")
        for _ in range(10_000):  # far more than a pipe buffer holds
            stream.write(b"<line>x</line>" * 100)
        stream.write(b"</invoice>")

    with pytest.raises(SigningError, match="root element"):
        digest_built(write)
    assert threading.active_count() == before


def test_signing_time_cap_keeps_a_future_claim_from_validating_a_future_certificate() -> None:
    """A certificate valid only from tomorrow fails even if the package claims a later date."""
    later = devpki.make_signer(
        pki().issuing, NOW, not_before=NOW + dt.timedelta(days=1),
    )
    future = unsigned().replace(b"2024/11/05 08:30:00", b"2024/11/09 08:30:00")
    report = verify(sign(future, identity_of(later)))
    assert report.status is SignatureStatus.NOT_YET_VALID
    assert report.signing_time == NOW
