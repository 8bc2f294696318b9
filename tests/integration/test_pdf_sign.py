"""sign_pdf: PAdES B-B organisation signatures, checked by pyHanko's own validator and verify_pdf.

pyHanko's ``validate_pdf_signature`` with a ValidationContext holding only the dev root is the
independent check; ``verify_pdf`` is checked alongside. Certificates come from devpki, ``NOW`` is
fixed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image
from pyhanko.pdf_utils.generic import parse_pdf_date
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from agent.errors import SigningError
from agent.signing import devpki
from agent.signing.keys import SigningIdentity
from agent.signing.pdf import PdfSignOptions, SealAppearance, sign_pdf, verify_pdf
from agent.signing.report import SignatureStatus
from agent.signing.trust import TrustPolicy
from tests.support import pdfs

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
EPOCH = NOW - dt.timedelta(days=365)
LATER = NOW + dt.timedelta(hours=2)


@pytest.fixture(scope="module")
def root() -> devpki.Issued:
    return devpki.make_root(EPOCH)


@pytest.fixture(scope="module")
def inter(root: devpki.Issued) -> devpki.Issued:
    return devpki.make_intermediate(root, EPOCH)


@pytest.fixture(scope="module")
def policy(root: devpki.Issued) -> TrustPolicy:
    return TrustPolicy([root.cert])


def _identity(issued: devpki.Issued) -> SigningIdentity:
    return SigningIdentity(key=issued.key, certificate=issued.cert, chain=issued.chain)


@pytest.fixture(scope="module", params=["rsa", "ec"])
def organisation(request: pytest.FixtureRequest, inter: devpki.Issued) -> SigningIdentity:
    return _identity(devpki.make_signer(inter, NOW, kind=request.param))


@pytest.fixture(scope="module")
def competent_person(inter: devpki.Issued) -> SigningIdentity:
    return _identity(devpki.make_signer(inter, NOW, organ_name="Giám đốc Nguyễn Văn An"))


def _sign(
    data: bytes,
    identity: SigningIdentity,
    *,
    now: dt.datetime = NOW,
    options: PdfSignOptions | None = None,
) -> bytes:
    out = io.BytesIO()
    sign_pdf(io.BytesIO(data), out, identity, now=now, options=options)
    return out.getvalue()


def _pyhanko_statuses(data: bytes, root: devpki.Issued) -> list[PdfSignatureStatus]:
    """pyHanko's own verdicts, trusting only the dev root, at LATER."""
    anchor = asn1_x509.Certificate.load(root.cert.public_bytes(Encoding.DER))
    reader = PdfFileReader(io.BytesIO(data))
    return [
        validate_pdf_signature(sig, ValidationContext(trust_roots=[anchor], moment=LATER))
        for sig in reader.embedded_signatures
    ]


def _png(size: tuple[int, int] = (120, 120)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    for x in range(size[0]):
        image.putpixel((x, x % size[1]), (200, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# --- signatures that validate -----------------------------------------------------------------


def test_signature_validates_with_pyhanko_and_verify_pdf(
    organisation: SigningIdentity, root: devpki.Issued, policy: TrustPolicy
) -> None:
    """An RSA / EC organisation signature is intact, valid and trusted for pyHanko and for us."""
    signed = _sign(pdfs.make_pdf(pages=2), organisation)

    [status] = _pyhanko_statuses(signed, root)
    assert status.bottom_line, status.pretty_print_details()  # type: ignore[no-untyped-call]
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    [report] = verify_pdf(io.BytesIO(signed), policy, target="cv.pdf", now=LATER)
    assert report.status is SignatureStatus.VALID, report.error
    assert report.signer_subject == organisation.certificate.subject.rfc4514_string()
    assert dict(report.details)["coverage"] == "entire file"


def test_signature_is_pades_baseline_b(organisation: SigningIdentity) -> None:
    """SubFilter ETSI.CAdES.detached, SHA-256, signing-certificate-v2, no CMS signingTime."""
    signed = _sign(pdfs.make_pdf(), organisation)
    [sig] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig.md_algorithm == "sha256"
    attrs = {attr["type"].native for attr in sig.signer_info["signed_attrs"]}
    assert "signing_certificate_v2" in attrs
    assert "signing_time" not in attrs  # PAdES: the time is /M, not a CMS attribute


def test_signing_time_is_the_callers_now(
    organisation: SigningIdentity, policy: TrustPolicy
) -> None:
    """/M holds the ``now`` passed in (not the clock), and verify_pdf reports it."""
    when = dt.datetime(2026, 5, 20, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    signed = _sign(pdfs.make_pdf(), organisation, now=when)
    [sig] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert parse_pdf_date(sig.sig_object["/M"]) == when
    [report] = verify_pdf(io.BytesIO(signed), policy, target="a.pdf", now=when)
    assert report.signing_time == when


def test_field_name_reason_and_location(organisation: SigningIdentity) -> None:
    """Field name, reason and a Vietnamese location land in the signature dictionary."""
    options = PdfSignOptions(
        field_name="VanThuSTTTT", reason="Văn thư ký số cơ quan", location="Sở TT&TT Tây Ninh"
    )
    signed = _sign(pdfs.make_pdf(), organisation, options=options)
    [sig] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert sig.field_name == "VanThuSTTTT"
    assert sig.sig_object["/Reason"] == "Văn thư ký số cơ quan"
    assert sig.sig_object["/Location"] == "Sở TT&TT Tây Ninh"


def test_default_field_names_do_not_collide(organisation: SigningIdentity) -> None:
    """Signing twice without a field name creates two distinct fields."""
    twice = _sign(_sign(pdfs.make_pdf(), organisation), organisation, now=NOW + dt.timedelta(1))
    names = [s.field_name for s in PdfFileReader(io.BytesIO(twice)).embedded_signatures]
    assert names == ["OrganisationSignature", "OrganisationSignature2"]


def test_second_signature_keeps_the_first_valid(
    competent_person: SigningIdentity,
    organisation: SigningIdentity,
    root: devpki.Issued,
    policy: TrustPolicy,
) -> None:
    """TT 41/2017 flow: the person signs, the văn thư adds the organisation's signature on top.

    The update is incremental (the first signed file is a byte prefix of the result) and both
    signatures are valid for pyHanko and for verify_pdf; the first reports its revision coverage.
    """
    first = _sign(pdfs.make_pdf(pages=3), competent_person, options=PdfSignOptions("NguoiKy"))
    both = _sign(first, organisation, now=NOW + dt.timedelta(minutes=30))

    assert both.startswith(first)
    statuses = _pyhanko_statuses(both, root)
    assert [s.bottom_line for s in statuses] == [True, True]
    assert statuses[0].coverage == SignatureCoverageLevel.ENTIRE_REVISION
    reports = verify_pdf(io.BytesIO(both), policy, target="qd.pdf", now=LATER)
    assert [r.status for r in reports] == [SignatureStatus.VALID, SignatureStatus.VALID]
    assert [r.index for r in reports] == [0, 1]
    assert "Giám đốc" in (reports[0].signer_subject or "")
    first_details = dict(reports[0].details)
    assert first_details["coverage"].startswith("revision 2")
    assert first_details["later_changes"] == "further signatures or form filling only"


def test_visible_seal_on_last_page(
    organisation: SigningIdentity, root: devpki.Issued, policy: TrustPolicy
) -> None:
    """A seal image is drawn in the given box on the last page; the signature stays valid."""
    seal = SealAppearance(image=_png(), page=-1, box=(360, 60, 520, 220))
    signed = _sign(pdfs.make_pdf(pages=4), organisation, options=PdfSignOptions(seal=seal))

    reader = PdfFileReader(io.BytesIO(signed))
    [sig] = reader.embedded_signatures
    widget = sig.sig_field
    assert [float(v) for v in widget["/Rect"]] == [360, 60, 520, 220]
    last_page = reader.root["/Pages"]["/Kids"].raw_get(3)
    assert widget.raw_get("/P").idnum == last_page.idnum
    appearance = widget["/AP"]["/N"]
    xobjects = _all_xobjects(appearance)
    assert any(x.get("/Subtype") == "/Image" for x in xobjects)
    assert _pyhanko_statuses(signed, root)[0].bottom_line
    [report] = verify_pdf(io.BytesIO(signed), policy, target="seal.pdf", now=LATER)
    assert report.ok


def _all_xobjects(stream: object) -> list[dict[str, object]]:
    """XObjects reachable from an appearance stream (the seal image sits one level down)."""
    found: list[dict[str, object]] = []
    pending = [stream]
    while pending:
        current = pending.pop()
        resources = getattr(current, "get", lambda *_: None)("/Resources")
        for ref in (resources or {}).get("/XObject", {}).values():
            obj = ref.get_object()
            found.append(obj)
            pending.append(obj)
    return found


def test_seal_on_first_page_counts_from_one(organisation: SigningIdentity) -> None:
    """Pages count like the config's seal_page: 1 is the first page (not the second)."""
    options = PdfSignOptions(seal=SealAppearance(image=_png(), page=1))
    signed = _sign(pdfs.make_pdf(pages=3), organisation, options=options)
    reader = PdfFileReader(io.BytesIO(signed))
    [sig] = reader.embedded_signatures
    first_page = reader.root["/Pages"]["/Kids"].raw_get(0)
    assert sig.sig_field.raw_get("/P").idnum == first_page.idnum


def test_invisible_by_default(organisation: SigningIdentity) -> None:
    """Without a seal the widget has an empty rectangle (no visible appearance)."""
    signed = _sign(pdfs.make_pdf(), organisation)
    [sig] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert [float(v) for v in sig.sig_field["/Rect"]] == [0, 0, 0, 0]


def test_files_in_files_out_with_identity_from_files(
    tmp_path: Path, inter: devpki.Issued, root: devpki.Issued, policy: TrustPolicy
) -> None:
    """The daemon's path: identity from a .p12 and from PEM files, PDF file to PDF file."""
    issued = devpki.make_signer(inter, NOW)
    (tmp_path / "org.p12").write_bytes(issued.pkcs12(b"pw"))
    (tmp_path / "key.pem").write_bytes(issued.key_pem(b"pw"))
    (tmp_path / "cert.pem").write_bytes(issued.cert_pem())
    (tmp_path / "chain.pem").write_bytes(issued.chain_pem())
    (tmp_path / "in.pdf").write_bytes(pdfs.make_pdf(pages=2))
    from_p12 = SigningIdentity.from_pkcs12_file(tmp_path / "org.p12", "pw")
    from_pem = SigningIdentity.from_pem_files(
        tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "chain.pem", password=b"pw"
    )
    assert from_p12.chain == from_pem.chain == (inter.cert, root.cert)

    with open(tmp_path / "in.pdf", "rb") as src, open(tmp_path / "out.pdf", "w+b") as out:
        sign_pdf(src, out, from_pem, now=NOW)
    with open(tmp_path / "out.pdf", "rb") as signed:
        [report] = verify_pdf(signed, policy, target="out.pdf", now=LATER)
    assert report.ok


def test_signing_inside_a_running_event_loop(organisation: SigningIdentity) -> None:
    """sign_pdf drives pyHanko's coroutines itself, also when called from async code."""

    async def call() -> bytes:
        return _sign(pdfs.make_pdf(), organisation)

    signed = asyncio.run(call())
    assert len(PdfFileReader(io.BytesIO(signed)).embedded_signatures) == 1


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"This is a Word document, not a PDF", "not a readable PDF"),
        (pdfs.break_xref(pdfs.make_pdf()), "not a readable PDF"),
        (pdfs.make_encrypted_pdf(), "encrypted"),
    ],
    ids=["not-a-pdf", "broken-xref", "encrypted"],
)
def test_unsignable_input_is_signing_error(
    organisation: SigningIdentity, data: bytes, expected: str
) -> None:
    """Garbage, a damaged xref or an encrypted PDF raise SigningError with a clear message."""
    with pytest.raises(SigningError, match=expected):
        _sign(data, organisation)


def test_write_only_output_is_a_programming_error(
    organisation: SigningIdentity, tmp_path: Path
) -> None:
    """The output must be readable and seekable too (the digest is read back from it)."""
    with open(tmp_path / "out.pdf", "wb") as out, pytest.raises(ValueError, match="w\\+b"):
        sign_pdf(io.BytesIO(pdfs.make_pdf()), out, organisation, now=NOW)


def test_expired_signing_certificate_is_refused(inter: devpki.Issued) -> None:
    """The agent will not produce a signature its peers would report as expired."""
    old = devpki.make_signer(
        inter, NOW, not_before=NOW - dt.timedelta(days=90), not_after=NOW - dt.timedelta(days=1)
    )
    with pytest.raises(SigningError, match="not valid at"):
        _sign(pdfs.make_pdf(), _identity(old))


def test_certified_no_changes_pdf_is_refused(
    competent_person: SigningIdentity, organisation: SigningIdentity
) -> None:
    """A PDF certified with DocMDP 'no changes' cannot take a second signature: SigningError."""
    certified = pdfs.sign_like_other_software(
        pdfs.make_pdf(),
        competent_person.key,
        competent_person.certificate,
        competent_person.chain,
        when=NOW,
        certify_no_changes=True,
    )
    with pytest.raises(SigningError, match="does not allow another signature"):
        _sign(certified, organisation)


def test_already_signed_field_name_is_refused(organisation: SigningIdentity) -> None:
    """Asking to fill a field that already holds a signature is a SigningError naming it."""
    options = PdfSignOptions(field_name="VanThu")
    once = _sign(pdfs.make_pdf(), organisation, options=options)
    with pytest.raises(SigningError, match="VanThu"):
        _sign(once, organisation, options=options)


@pytest.mark.parametrize(
    "seal",
    [
        SealAppearance(image=b"\x89PNG\r\n\x1a\n broken"),
        SealAppearance(image=b"", page=1),
        SealAppearance(image=_png(), page=0),
        SealAppearance(image=_png(), box=(200, 200, 100, 300)),
        SealAppearance(image=_png(), page=3),
    ],
    ids=["broken-png", "empty-image", "page-zero", "inverted-box", "no-such-page"],
)
def test_bad_seal_is_signing_error(organisation: SigningIdentity, seal: SealAppearance) -> None:
    """Unreadable seal images, empty boxes and missing pages are SigningErrors."""
    with pytest.raises(SigningError):
        _sign(pdfs.make_pdf(pages=2), organisation, options=PdfSignOptions(seal=seal))
