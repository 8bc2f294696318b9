"""Check every signature inside a PDF and say, per signature, what an operator needs to know.

Report, do not block (AXIS.md §10): :func:`verify_pdf` never raises for a bad, broken or missing
signature, or for a file that is not a PDF; it returns :class:`SignatureReport` values.

Per signature, in order (the first failure decides the status):

1. the digest algorithm is SHA-2 (``WeakAlgorithmError`` otherwise);
2. the bytes in the ``/ByteRange`` still hash to the signed digest, and the signature value verifies
   with the embedded signer certificate (``SignatureInvalidError``: tampered or damaged);
3. the signature covers its whole revision; if incremental updates follow (a later signature, form
   filling, annotations) it stays valid *for its revision* and ``details`` say so; any other later
   change (e.g. page content replaced) makes it invalid;
4. the signer's certificate is trusted by the :class:`TrustPolicy` at the claimed signing time
   (untrusted / expired / not-yet-valid / revoked / wrong profile).

The signing time is the CMS ``signingTime`` attribute when present (common for non-PAdES
signatures), otherwise the signature dictionary's ``/M`` (PAdES; it lies inside the signed byte
range). Neither is proof of time in a B-B signature; a claimed time in the future is ignored and the
certificate is checked at ``now`` instead. pyHanko does the PDF and CMS parsing and the difference
analysis; trust decisions are the policy's alone (configured anchors and CRLs, no network).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, BinaryIO

from cryptography import x509
from pyhanko.pdf_utils.generic import parse_pdf_date
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.errors import SignatureValidationError as PyHankoValidationError
from pyhanko.sign.validation.generic_cms import (
    extract_self_reported_ts,
    validate_sig_integrity,
)
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from agent.errors import (
    MissingCertificateError,
    SignatureInvalidError,
    SignatureStructureError,
    VerificationError,
    WeakAlgorithmError,
)
from agent.signing.report import SignatureReport, status_for
from agent.signing.trust import TrustPolicy

Details = list[tuple[str, str]]

ALLOWED_DIGESTS = frozenset({"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"})
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

_LATER_CHANGES = {
    ModificationLevel.NONE: "none",
    ModificationLevel.LTA_UPDATES: "validation data / document timestamps only",
    ModificationLevel.FORM_FILLING: "further signatures or form filling only",
    ModificationLevel.ANNOTATIONS: "annotations (comments) and form filling only",
}


def verify_pdf(
    stream: BinaryIO, policy: TrustPolicy, *, target: str, now: dt.datetime
) -> list[SignatureReport]:
    """One report per signature (signing order), ``unsigned``, or one ``invalid`` for a bad file."""
    if now.utcoffset() is None:
        raise ValueError("verify_pdf needs a timezone-aware 'now'")
    try:
        reader, notes = _open_reader(stream)
        found = _embedded_signatures(reader)
    except VerificationError as err:
        return [SignatureReport.failed("pdf", target, err)]
    if not found:
        return [SignatureReport.unsigned("pdf", target)]
    return [
        _verify_one(item, index, policy, target=target, now=now, notes=notes)
        for index, item in enumerate(found)
    ]


# --- reading ----------------------------------------------------------------------------------


def _open_reader(stream: BinaryIO) -> tuple[PdfFileReader, Details]:
    """Strict parsing first; sloppy but readable PDFs get a lenient second try (noted)."""
    try:
        return _decrypted(PdfFileReader(stream, strict=True)), []
    except VerificationError:
        raise
    except Exception:  # noqa: BLE001, S110 - retried leniently just below
        pass
    try:
        return _decrypted(PdfFileReader(stream, strict=False)), [("parsing", "lenient")]
    except VerificationError:
        raise
    except Exception as exc:  # noqa: BLE001 - every parse failure becomes a report
        raise SignatureStructureError(
            f"not a readable PDF ({_reason(exc)})",
            hint="the attachment is damaged, truncated or not a PDF; ask the sender to resend it",
        ) from exc


def _decrypted(reader: PdfFileReader) -> PdfFileReader:
    if reader.encrypted and reader.decrypt("").status.name == "FAILED":
        raise SignatureStructureError(
            "the PDF is encrypted with a password; its signatures cannot be checked",
            hint="ask the sender for an unencrypted copy",
        )
    return reader


def _embedded_signatures(reader: PdfFileReader) -> list[EmbeddedPdfSignature | VerificationError]:
    """Filled /Sig fields in signing order; unreadable ones become errors, kept at the end."""
    good: list[EmbeddedPdfSignature] = []
    broken: list[EmbeddedPdfSignature | VerificationError] = []
    try:
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as exc:  # noqa: BLE001 - a broken form tree is a broken file
        raise SignatureStructureError(
            f"the PDF's form fields cannot be read ({_reason(exc)})"
        ) from exc
    for name, value, field in fields:
        try:
            if value.get_object().get("/Type") == "/DocTimeStamp":
                continue  # document timestamps are not signatures of a person or organisation
            good.append(EmbeddedPdfSignature(reader, field, name))
        except Exception as exc:  # noqa: BLE001 - one unreadable signature, reported alone
            broken.append(
                SignatureStructureError(f"signature field {name!r} is unreadable ({_reason(exc)})")
            )
    good.sort(key=lambda sig: int(sig.signed_revision))
    return [*good, *broken]


# --- one signature ----------------------------------------------------------------------------


def _verify_one(
    item: EmbeddedPdfSignature | VerificationError,
    index: int,
    policy: TrustPolicy,
    *,
    target: str,
    now: dt.datetime,
    notes: Details,
) -> SignatureReport:
    if isinstance(item, VerificationError):
        return SignatureReport.failed("pdf", target, item, index=index, details=tuple(notes))
    details: Details = [("field", str(item.field_name)), *notes]
    subject: str | None = None
    signing_time: dt.datetime | None = None
    error: VerificationError | None = None
    try:
        cert, others = _certificates(item)
        subject = cert.subject.rfc4514_string()
        signing_time = _signing_time(item, details)
        _check_integrity(item, details)
        _check_trust(policy, cert, others, _moment(signing_time, now, details), details)
    except VerificationError as err:
        error = err
    except Exception as exc:  # noqa: BLE001 - no pyHanko/asn1crypto error may escape
        error = SignatureStructureError(f"the signature could not be checked ({_reason(exc)})")
    return SignatureReport(
        kind="pdf",
        target=target,
        status=status_for(error),
        signer_subject=subject,
        signing_time=signing_time,
        error=error,
        index=index,
        details=tuple(details),
    )


def _certificates(sig: EmbeddedPdfSignature) -> tuple[x509.Certificate, list[x509.Certificate]]:
    try:
        signer = x509.load_der_x509_certificate(sig.signer_cert.dump())
    except Exception as exc:  # noqa: BLE001 - missing or unparsable signer certificate
        raise MissingCertificateError(
            f"the signer's certificate is missing from the signature or unreadable "
            f"({_reason(exc)})",
            hint="the signing software must embed the signer's certificate",
        ) from exc
    others = []
    for cert in sig.other_embedded_certs:
        try:
            others.append(x509.load_der_x509_certificate(cert.dump()))
        except ValueError:
            continue  # an unparsable extra certificate cannot help build a path
    return signer, others


def _signing_time(sig: EmbeddedPdfSignature, details: Details) -> dt.datetime | None:
    claimed = extract_self_reported_ts(sig.signer_info)
    source = "CMS signingTime attribute"
    if claimed is None:
        try:
            claimed = parse_pdf_date(sig.sig_object["/M"], strict=False)
            source = "signature dictionary /M (inside the signed bytes)"
        except (KeyError, ValueError, TypeError):
            details.append(("signing_time_source", "none"))
            return None
    if claimed.tzinfo is None:
        claimed = claimed.replace(tzinfo=dt.UTC)
        source += ", no time zone given: read as UTC"
    details.append(("signing_time_source", source))
    return claimed


def _check_integrity(sig: EmbeddedPdfSignature, details: Details) -> None:
    digest = str(sig.md_algorithm)
    details.append(("digest_algorithm", digest))
    if digest not in ALLOWED_DIGESTS:
        raise WeakAlgorithmError(
            f"the signature uses the {digest} digest; only SHA-2 (or SHA-3) is accepted",
            hint="the sender's signing software must be configured for SHA-256",
        )
    try:
        intact, valid = validate_sig_integrity(
            sig.signer_info, sig.signer_cert, "data", sig.compute_digest()
        )
    except PyHankoValidationError as exc:
        raise SignatureStructureError(
            f"the signature container is malformed ({_reason(exc)})"
        ) from exc
    if not intact:
        raise SignatureInvalidError(
            "the signed bytes were changed: their digest no longer matches the signed digest",
            hint="the PDF was altered or damaged after signing; ask the sender for the original",
        )
    if not valid:
        raise SignatureInvalidError(
            "the signature value does not verify with the signer's certificate",
            hint="the signature or its certificate was replaced; do not rely on it",
        )
    sig.compute_integrity_info()  # type: ignore[no-untyped-call]
    _check_coverage(sig, details)


def _check_coverage(sig: EmbeddedPdfSignature, details: Details) -> None:
    revision, total = int(sig.signed_revision) + 1, int(sig.reader.xrefs.total_revisions)
    details.append(("revision", f"{revision} of {total}"))
    if sig.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        details.append(("coverage", "entire file"))
        return
    if sig.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        raise SignatureInvalidError(
            "the signature does not cover its whole revision of the file (nonstandard "
            "ByteRange): unsigned bytes could change what is displayed",
            hint="do not rely on this signature; ask the sender for the original file",
        )
    details.append(("coverage", f"revision {revision} (valid for that revision; updated later)"))
    level = _later_change_level(sig)
    details.append(("later_changes", _LATER_CHANGES[level]))


def _later_change_level(sig: EmbeddedPdfSignature) -> ModificationLevel:
    diff: Any = sig.diff_result
    if diff is None or isinstance(diff, SuspiciousModification):
        level = ModificationLevel.OTHER
    else:
        level = diff.modification_level
    docmdp = sig.docmdp_level
    if level == ModificationLevel.OTHER or (docmdp is not None and level.value > docmdp.value):
        raise SignatureInvalidError(
            "the PDF was changed after this signature beyond adding signatures, form data or "
            f"comments ({_first_line(diff) if isinstance(diff, Exception) else level.name}): "
            "what is displayed may not be what was signed",
            hint="compare with the signed revision, or ask the sender for the original file",
        )
    return ModificationLevel(level)


def _moment(signed_at: dt.datetime | None, now: dt.datetime, details: Details) -> dt.datetime:
    if signed_at is None:
        at, why = now, "verification time (the signature states no signing time)"
    elif signed_at > now + FUTURE_TOLERANCE:
        at, why = now, "verification time (the claimed signing time is in the future)"
    else:
        at, why = signed_at, "claimed signing time"
    details.append(("certificate_checked_at", f"{at.isoformat()} ({why})"))
    return at


def _check_trust(
    policy: TrustPolicy,
    cert: x509.Certificate,
    others: list[x509.Certificate],
    at: dt.datetime,
    details: Details,
) -> None:
    details.append(("issuer", cert.issuer.rfc4514_string()))
    details.append(("serial", f"{cert.serial_number:x}"))
    signer = policy.validate_signer(cert, others, at)
    checked = "checked against configured CRLs"
    unchecked = "not fully checked: no current CRL configured for every CA of the path"
    details.append(("revocation", checked if signer.revocation_checked else unchecked))


def _first_line(exc: BaseException, limit: int = 200) -> str:
    return _reason(exc).splitlines()[0][:limit]


def _reason(exc: BaseException) -> str:
    message: Any = getattr(exc, "failure_message", None) or str(exc) or type(exc).__name__
    return str(message)
