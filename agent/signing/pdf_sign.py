"""Apply the organisation's PAdES signature (baseline B-B) to a PDF, as an incremental update.

Thông tư 41/2017/TT-BTTTT: the competent person signs the document, then the văn thư applies the
organisation's signature. This module does the second step. The signature is appended as an
incremental update, so every earlier signature keeps covering exactly the bytes it signed.

* Input and output are binary streams. Pass real files for big scans: pyHanko reads the input
  lazily (by xref offsets), copies it to the output in chunks and digests the output in chunks, so
  memory stays far below the file size. The output must be readable, writable and seekable (e.g.
  ``open(path, "w+b")``): the signature is written into a placeholder after the digest is taken.
* The signing time is the caller's ``now`` (written to the signature dictionary's ``/M``; PAdES
  forbids the CMS signingTime attribute). Nothing here reads the clock.
* Invisible by default; :class:`SealAppearance` draws an image (the organisation's seal, PNG bytes)
  in a box on one page.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any, BinaryIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image
from pyhanko.pdf_utils import misc as pdf_misc
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields as pdf_fields
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.validation import read_certification_data
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from agent.errors import SigningError
from agent.signing.keys import SigningIdentity
from agent.signing.trust import run_sync

DEFAULT_FIELD_NAME = "OrganisationSignature"


@dataclass(frozen=True)
class SealAppearance:
    """A visible seal: ``image`` (PNG or JPEG bytes) drawn in ``box`` on page ``page``."""

    image: bytes
    page: int = -1  # as the config's seal_page: 1 = first page, -1 = last, -2 = one before; not 0
    box: tuple[float, float, float, float] = (360.0, 60.0, 520.0, 220.0)  # x1, y1, x2, y2 in pt


@dataclass(frozen=True)
class PdfSignOptions:
    """How the signature field looks and what it says."""

    field_name: str | None = None  # None: "OrganisationSignature" (numbered if already taken)
    reason: str | None = None  # e.g. "Văn thư đóng dấu / ký số của cơ quan"
    location: str | None = None  # e.g. "Sở TT&TT Tây Ninh"
    seal: SealAppearance | None = None  # None: invisible signature


def sign_pdf(
    source: BinaryIO,
    output: BinaryIO,
    identity: SigningIdentity,
    *,
    now: dt.datetime,
    options: PdfSignOptions | None = None,
) -> str:
    """Sign ``source`` into ``output`` (incremental update); return the signature field name."""
    options = options or PdfSignOptions()
    if not (output.readable() and output.writable() and output.seekable()):
        raise ValueError("sign_pdf needs a readable, writable, seekable output (e.g. 'w+b')")
    identity.check_usable(now)
    writer = _open_for_update(source)
    _check_not_locked(writer)
    field_name = options.field_name or _free_field_name(writer)
    pdf_signer = _pdf_signer(identity, options, field_name)
    try:
        run_sync(_sign(pdf_signer, writer, output, now, _identity_key(identity)))
    except SigningError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyHanko raises many types; none may escape
        raise _signing_failed(exc, field_name) from exc
    return field_name


# --- preparation ------------------------------------------------------------------------------


def _open_for_update(source: BinaryIO) -> IncrementalPdfFileWriter:
    try:
        writer = IncrementalPdfFileWriter(source, strict=False)
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a usable PDF"
        raise SigningError(
            f"the input is not a readable PDF ({_reason(exc)})",
            hint="check that the attachment is a complete, undamaged PDF file",
        ) from exc
    if writer.prev.encrypted:
        raise SigningError(
            "the PDF is encrypted (password-protected) and cannot be signed",
            hint="ask the author for an unencrypted PDF; encryption is not needed on the axis",
        )
    return writer


def _check_not_locked(writer: IncrementalPdfFileWriter) -> None:
    """Refuse early, and say why, when the author certified the PDF against any change."""
    try:
        certification = read_certification_data(writer.prev)
    except Exception:  # noqa: BLE001 - unreadable: pyHanko enforces DocMDP again when signing
        return
    if certification is not None and certification.permission == MDPPerm.NO_CHANGES:
        raise SigningError(
            "the PDF does not allow another signature: its author certified it with "
            "'no changes allowed', and a further signature would break that certification",
            hint="ask the author for a copy certified with form filling allowed (DocMDP 2), "
            "or signed with an ordinary approval signature",
        )


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    try:
        taken = {name for name, _, _ in pdf_fields.enumerate_sig_fields(writer.prev)}
    except Exception as exc:  # noqa: BLE001 - a broken AcroForm is reported as unsignable
        raise SigningError(f"the PDF's form fields cannot be read ({_reason(exc)})") from exc
    name, number = DEFAULT_FIELD_NAME, 1
    while name in taken:
        number += 1
        name = f"{DEFAULT_FIELD_NAME}{number}"
    return name


def _pdf_signer(
    identity: SigningIdentity, options: PdfSignOptions, field_name: str
) -> signers.PdfSigner:
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=options.reason,
        location=options.location,
        md_algorithm="sha256",
        subfilter=pdf_fields.SigSeedSubFilter.PADES,
    )
    seal = options.seal
    spec = pdf_fields.SigFieldSpec(
        sig_field_name=field_name,
        on_page=_page_index(seal.page) if seal else 0,
        box=_box(seal.box) if seal else None,
    )
    style = StaticStampStyle(background=_seal_image(seal.image), border_width=0) if seal else None
    return signers.PdfSigner(
        meta, _IdentitySigner(identity), stamp_style=style, new_field_spec=spec
    )


def _page_index(page: int) -> int:
    """1-based (negative from the end) as operators count pages -> pyHanko's 0-based index."""
    if page == 0:
        raise SigningError("seal page 0 does not exist: pages count from 1 (first) or -1 (last)")
    return page - 1 if page > 0 else page


def _box(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (round(v) for v in box)
    if x2 <= x1 or y2 <= y1:
        raise SigningError(
            f"the seal box {box} is empty: it must be (x1, y1, x2, y2), x1<x2, y1<y2"
        )
    return x1, y1, x2, y2


def _seal_image(data: bytes) -> PdfImage:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:  # noqa: BLE001 - Pillow raises OSError, ValueError, bomb errors
        raise SigningError(
            f"the seal image cannot be read ({_reason(exc)})",
            hint="give the seal as a PNG (transparent background recommended) or JPEG file",
        ) from exc
    return PdfImage(image)


class _IdentitySigner(signers.Signer):
    """A pyHanko signer over the in-memory key: the key never leaves its cryptography object."""

    def __init__(self, identity: SigningIdentity) -> None:
        certs = [_to_asn1(c) for c in identity.chain]
        super().__init__(
            signing_cert=_to_asn1(identity.certificate),
            cert_registry=SimpleCertificateStore.from_certs(certs),  # type: ignore[no-untyped-call]
        )
        self._key = identity.key

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        algorithm = _HASHES[digest_algorithm]()
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), algorithm)
        return self._key.sign(data, ec.ECDSA(algorithm))


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


# --- signing ----------------------------------------------------------------------------------


# The CMS container of one identity's signatures always has the same size (same certificates,
# key and attributes, no timestamp), and pyHanko's estimate of it is a complete dry-run signature,
# as costly as the real one: it is made once per identity and kept (twice the signing rate).
_RESERVED: dict[tuple[bytes, ...], int] = {}


def _identity_key(identity: SigningIdentity) -> tuple[bytes, ...]:
    return tuple(c.fingerprint(hashes.SHA256()) for c in (identity.certificate, *identity.chain))


async def _sign(
    pdf_signer: signers.PdfSigner,
    writer: IncrementalPdfFileWriter,
    output: BinaryIO,
    now: dt.datetime,
    identity_key: tuple[bytes, ...],
) -> None:
    """pyHanko's ``async_sign_pdf``, with the session's clock set to ``now``."""
    session = pdf_signer.init_signing_session(writer)
    session.system_time = now
    reserved = _RESERVED.get(identity_key)
    if reserved is None:  # the estimate keeps a 50 % margin: later signatures fit
        reserved = _RESERVED[identity_key] = \
            await session.estimate_signature_container_size(None)
    tbs = session.prepare_tbs_document(validation_info=None, bytes_reserved=reserved)
    prepared, out = tbs.digest_tbs_document(output=output)
    post = await tbs.perform_signature(
        document_digest=prepared.document_digest,
        pdf_cms_signed_attrs=PdfCMSSignedAttributes(signing_time=now),
    )
    await post.post_signature_processing(out)
    out.flush()


def _signing_failed(exc: Exception, field_name: str) -> SigningError:
    text = _reason(exc)
    if isinstance(exc, PyHankoSigningError) and ("certif" in text or "forbids" in text):
        return SigningError(
            f"the PDF does not allow another signature: {text}",
            hint="the author certified it against changes; ask for a copy without that lock",
        )
    if isinstance(exc, PyHankoSigningError | pdf_misc.PdfError) and field_name in text:
        return SigningError(f"cannot use signature field {field_name!r}: {text}")
    if isinstance(exc, pdf_misc.PdfError):
        return SigningError(
            f"the PDF is damaged and cannot be signed ({text})",
            hint="re-export the PDF from its source application",
        )
    return SigningError(f"the PDF could not be signed ({text})")


def _reason(exc: BaseException) -> str:
    message: Any = getattr(exc, "failure_message", None) or str(exc) or type(exc).__name__
    return str(message)
