"""Judging what :class:`~agent.signing.xmldsig_observer.SignatureObserver` saw: the verdict.

Checks, in order (the first failure is the verdict):

1. placement: exactly one Signature, at ``edXML/edXMLEnvelope/edXMLHeader/Signature``
   (``SignatureWrappingError``); its structure (``SignatureStructureError``, wrapping for a second
   Reference, a Reference URI other than ``""``, an Object);
2. algorithms on the allow-list (``WeakAlgorithmError``; SHA-1 named as such);
3. an X.509 certificate in KeyInfo (``MissingCertificateError``). The key is always the leaf
   certificate's; a KeyValue is never used;
4. no comment inside a signed value (``CommentInjectionError``);
5. the Reference digest and the SignatureValue over canonical SignedInfo. A mismatch is
   ``SignatureInvalidError``, **unless** the package carries the axis's re-serialisation marks
   (AXIS.md §9): the Signature in the QCVN namespace, or a TraceHeader after the sender's own.
   Then it is ``AlteredInTransitError``: the envelope was rewritten in transit and the PDF's
   signature is the one that survives. Re-indentation of the Signature is recorded as evidence but
   is not a mark by itself (a forger re-serialises too). When the SignedInfo still verifies after
   undoing the namespace move and the re-indentation, the report says whose signature it was;
6. the certificate, via :meth:`TrustPolicy.validate_signer` at the **signing time**: the sender's
   own ``TraceHeader/Timestamp`` (the TraceHeader whose ``OrganId`` is ``From/OrganId``; Vietnam
   local time, UTC+7), capped at ``now``; ``now`` when there is none. It is a time the signer
   claims inside the signed content (no timestamp authority vouches for it); capping it at
   ``now`` keeps a future date from making a not-yet-valid certificate pass.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509

from agent.core.c14n import Attrs, Canonicalizer, NsDecls, NsMap
from agent.core.xmlstream import QName, XmlEvents
from agent.errors import (
    AlteredInTransitError,
    CertificateError,
    CommentInjectionError,
    MissingCertificateError,
    SignatureInvalidError,
    SignatureStructureError,
    SignatureWrappingError,
    VerificationError,
)
from agent.signing.report import SignatureReport, SignatureStatus
from agent.signing.trust import TrustPolicy
from agent.signing.xmldsig_alg import (
    CANONICALIZATIONS,
    DSIG_NS,
    QCVN_NS,
    SignatureAlg,
    signature_alg,
    verify_raw,
)
from agent.signing.xmldsig_facts import SignatureFacts, SignedInfoRecord, replay
from agent.signing.xmldsig_structure import reference_pipeline

Details = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Checked:
    """A structurally sound signature with allowed algorithms and a certificate."""

    method: SignatureAlg
    leaf: x509.Certificate
    intermediates: tuple[x509.Certificate, ...]


def judge(facts: SignatureFacts, trust: TrustPolicy, now: dt.datetime) -> SignatureReport:
    """The verdict on the package's XML signature (never raises a VerificationError).

    ``now`` must be timezone-aware: it caps the signing time and stands in for a missing one.
    """
    if now.utcoffset() is None:
        raise ValueError("XML signature verification needs a timezone-aware 'now'")
    if not facts.signed:
        return SignatureReport.unsigned("xml", "package")
    details = _describe(facts)
    try:
        checked = _check_form(facts)
    except VerificationError as err:
        return SignatureReport.failed("xml", "package", err, details=details)
    details += (("claimed_signer", checked.leaf.subject.rfc4514_string()),)
    try:
        _check_values(facts, checked)
    except SignatureInvalidError as err:
        return _invalid_or_altered(facts, checked, err, details)
    at, source = signing_time(facts, now)
    details += (("signing_time_source", source),)
    try:
        signer = trust.validate_signer(checked.leaf, checked.intermediates, at)
    except CertificateError as err:
        subject = checked.leaf.subject.rfc4514_string()
        return SignatureReport.failed(
            "xml", "package", err, signer_subject=subject, signing_time=at, details=details
        )
    details += (("revocation_checked", "yes" if signer.revocation_checked else "no"),)
    return SignatureReport(
        kind="xml", target="package", status=SignatureStatus.VALID,
        signer_subject=signer.subject, signing_time=at, details=details,
    )


# --- form: placement, structure, algorithms, certificate, comments ----------------------------


def _check_form(facts: SignatureFacts) -> _Checked:
    _check_placement(facts)
    if facts.problems:
        raise facts.problems[0]
    _check_counts(facts)
    reference_pipeline(facts.references[0])
    method = signature_alg(facts.signature_method)
    if facts.c14n_method not in CANONICALIZATIONS:
        raise SignatureStructureError(
            f"unsupported SignedInfo CanonicalizationMethod {facts.c14n_method or '(missing)'}",
            hint="accepted: exclusive or inclusive C14N 1.0 without comments",
        )
    leaf, intermediates = _certificates(facts)
    if facts.comment_in is not None:
        raise CommentInjectionError(
            f"a comment sits inside the signed value {facts.comment_in}",
            hint="comments are ignored by the signature, so they can split a value the signer "
            "never wrote; treat the package as forged",
        )
    return _Checked(method, leaf, intermediates)


def _check_placement(facts: SignatureFacts) -> None:
    where = "edXML/edXMLEnvelope/edXMLHeader/Signature"
    if facts.misplaced:
        extra = "another" if facts.signature_ns is not None else "a"
        raise SignatureWrappingError(
            f"{extra} Signature element sits at {facts.misplaced[0]}; the only accepted place "
            f"is {where}",
            hint="a moved or duplicated Signature is how wrapping attacks make the verifier "
            "check one part of the document while the reader uses another",
        )
    if facts.signatures != 1:
        raise SignatureWrappingError(
            f"the package carries {facts.signatures} Signatures at {where}"
        )


def _check_counts(facts: SignatureFacts) -> None:
    if facts.signed_info_count != 1 or len(facts.signature_values) != 1:
        raise SignatureStructureError(
            f"the Signature needs exactly one SignedInfo and one SignatureValue "
            f"(found {facts.signed_info_count} and {len(facts.signature_values)})"
        )
    if not facts.references:
        raise SignatureStructureError("SignedInfo has no Reference")
    if len(facts.references) > 1:
        raise SignatureWrappingError(
            f"SignedInfo has {len(facts.references)} References; exactly one (URI=\"\") is "
            "accepted, so that the whole package and nothing else is what was signed"
        )
    if facts.signed_info is None or facts.signed_info.overflow:
        raise SignatureStructureError("SignedInfo is missing or implausibly large")


def _certificates(facts: SignatureFacts) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]]:
    if not facts.certificates:
        what = "only a KeyValue" if facts.key_value else "no X509Certificate"
        raise MissingCertificateError(
            f"the signature's KeyInfo carries {what}: a bare public key says nothing about who "
            "signed",
            hint="the sender must include its signing certificate (X509Data/X509Certificate)",
        )
    certs = []
    for text in facts.certificates:
        try:
            certs.append(x509.load_der_x509_certificate(_b64(text)))
        except ValueError as exc:
            raise MissingCertificateError(
                "an X509Certificate in the signature's KeyInfo is not a readable certificate"
            ) from exc
    leaf = _leaf(certs)
    return leaf, tuple(c for c in certs if c is not leaf)


def _leaf(certs: Sequence[x509.Certificate]) -> x509.Certificate:
    """The certificate that issued none of the others; the first one when that is ambiguous."""
    issuers = {c.issuer for c in certs}
    leaves = [c for c in certs if c.subject not in issuers or c.subject == c.issuer]
    return leaves[0] if len(leaves) == 1 else certs[0]


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc


# --- values: digest and SignatureValue --------------------------------------------------------


def _check_values(facts: SignatureFacts, checked: _Checked) -> None:
    ref = facts.references[0]
    if facts.digest is None:
        raise SignatureInvalidError("the package could not be digested as its Reference asks")
    try:
        expected = _b64(ref.digest_value)
    except ValueError as exc:
        raise SignatureInvalidError("the Reference's DigestValue is not base64") from exc
    if not hmac.compare_digest(expected, facts.digest[2]):
        raise SignatureInvalidError(
            "the package's digest does not match the signed DigestValue: the content was "
            "changed after signing"
        )
    _verify_signed_info(facts, checked, restore=False)


def _verify_signed_info(facts: SignatureFacts, checked: _Checked, *, restore: bool) -> None:
    try:
        value = _b64(facts.signature_values[0])
    except ValueError as exc:
        raise SignatureInvalidError("the SignatureValue is not base64") from exc
    assert facts.signed_info is not None and facts.c14n_method is not None
    data = canonical_signed_info(
        facts.signed_info, facts.c14n_method, facts.c14n_prefixes, restore=restore
    )
    verify_raw(checked.leaf.public_key(), checked.method, value, data)


def canonical_signed_info(
    record: SignedInfoRecord, method: str, prefixes: frozenset[str], *, restore: bool = False
) -> bytes:
    """SignedInfo's canonical form; ``restore`` undoes the axis's namespace move and indenting."""
    out: list[bytes] = []
    exclusive = CANONICALIZATIONS[method]
    context = _restored_context(record.context) if restore else record.context
    canon = Canonicalizer(
        out.append,
        exclusive=exclusive,
        inclusive_prefixes=prefixes if exclusive else (),
        context=context,
        inherited_xml_attrs=record.xml_attrs,
    )
    replay(record.events, _Restore(canon) if restore else canon)
    return b"".join(out)


def _restored_context(context: NsMap) -> NsMap:
    if context.get("") != QCVN_NS:
        return context
    return {**context, "": DSIG_NS}


class _Restore:
    """Map QCVN-namespaced elements back to XMLDSig and drop whitespace-only text."""

    def __init__(self, inner: XmlEvents) -> None:
        self._inner = inner

    def start(self, name: QName, attrs: Attrs, nsdecls: NsDecls) -> None:
        if name.ns == QCVN_NS:
            name = QName(DSIG_NS, name.local, name.prefix)
        decls = [(p, DSIG_NS if u == QCVN_NS and not p else u) for p, u in nsdecls]
        self._inner.start(name, attrs, decls)

    def end(self, name: QName) -> None:
        if name.ns == QCVN_NS:
            name = QName(DSIG_NS, name.local, name.prefix)
        self._inner.end(name)

    def text(self, data: str) -> None:
        if data.strip():
            self._inner.text(data)

    def comment(self, data: str) -> None:
        self._inner.comment(data)

    def pi(self, target: str, data: str) -> None:
        self._inner.pi(target, data)


# --- altered in transit -----------------------------------------------------------------------


def transit_marks(facts: SignatureFacts) -> list[str]:
    """The axis's re-serialisation marks present in the package (AXIS.md §9)."""
    marks = []
    if facts.signature_ns == QCVN_NS:
        marks.append("Signature moved into the QCVN namespace")
    own = _sender_trace_index(facts)
    if own is not None and own < len(facts.traces) - 1:
        marks.append("TraceHeader appended after the sender's own")
    return marks


def _invalid_or_altered(
    facts: SignatureFacts, checked: _Checked, err: SignatureInvalidError, details: Details
) -> SignatureReport:
    marks = transit_marks(facts)
    if not marks:
        return SignatureReport.failed("xml", "package", err, details=details)
    evidence = [*marks, *(["Signature re-indented"] if facts.signature_indented else [])]
    details += (("transit_marks", "; ".join(evidence)),)
    details += (("signed_info_authentic", _signed_info_authentic(facts, checked)),)
    altered = AlteredInTransitError(
        "altered in transit: the XML signature no longer matches because the national axis "
        f"rewrote the envelope ({'; '.join(evidence)}). This is expected after the axis and "
        "is not by itself an attack; the signature that survives the axis is the one inside "
        "the PDF attachment (PAdES)",
        hint="verify the PDF's signature and compare the attachments' SHA-256 with the "
        f"sender's (technical detail: {err.message})",
    )
    return SignatureReport.failed("xml", "package", altered, details=details)


def _signed_info_authentic(facts: SignatureFacts, checked: _Checked) -> str:
    """Whether SignedInfo verifies as it stands, or after undoing the axis's rewrite."""
    for restore, answer in ((False, "yes"), (True, "yes, after undoing the axis's rewrite")):
        try:
            _verify_signed_info(facts, checked, restore=restore)
        except SignatureInvalidError:
            continue
        return answer
    return "no"


# --- signing time -----------------------------------------------------------------------------


def _sender_trace_index(facts: SignatureFacts) -> int | None:
    if not facts.from_organ_id:
        return None
    sender = facts.from_organ_id.strip()
    for index, trace in enumerate(facts.traces):
        if (trace.organ_id or "").strip() == sender:
            return index
    return None


def signing_time(facts: SignatureFacts, now: dt.datetime) -> tuple[dt.datetime, str]:
    """The moment to validate the certificate at, and where it came from (see module doc)."""
    index = _sender_trace_index(facts)
    stamp = facts.traces[index].timestamp if index is not None else None
    if stamp:
        try:
            claimed = dt.datetime.strptime(f"{stamp.strip()} +0700", "%Y/%m/%d %H:%M:%S %z")
        except ValueError:
            return now, "verification time (the sender's TraceHeader Timestamp is unreadable)"
        if claimed > now:
            return now, "verification time (the sender's TraceHeader Timestamp is in the future)"
        return claimed, "sender's TraceHeader Timestamp"
    return now, "verification time (no TraceHeader from the sender)"


def _describe(facts: SignatureFacts) -> Details:
    out = [("signature_namespace", facts.signature_ns or "")]
    if facts.signature_method:
        out.append(("signature_method", facts.signature_method))
    if facts.references and facts.references[0].digest_method:
        out.append(("digest_method", facts.references[0].digest_method))
    if facts.c14n_method:
        out.append(("canonicalization", facts.c14n_method))
    return tuple(out)
