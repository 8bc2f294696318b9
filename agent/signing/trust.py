"""Trust policy: is a signer's certificate acceptable at a given moment?

A :class:`TrustPolicy` holds the trust anchors and CRLs the operator configured (for Vietnamese
government documents: the VGCA roots ``RootCA chuyên dùng Chính phủ`` G1/G2, the national root,
public CAs the agency accepts). :meth:`TrustPolicy.validate_signer` answers one question: does this
signer's certificate chain, at moment ``at``, to one of *those* anchors, unrevoked by *those* CRLs,
with a document-signing profile? It never consults the operating system's CA store and never fetches
anything from the network (no AIA chasing, no CRL download, no OCSP).

Rules, in the order they are checked (the first failure is raised):

1. **Path** (RFC 5280, via pyhanko-certvalidator): a path from the leaf through the given
   intermediates to a configured anchor, every certificate valid at ``at``
   (``UntrustedCertificateError``, ``CertificateExpiredError``, ``CertificateNotYetValidError``;
   a certificate signed with a disallowed algorithm such as SHA-1 is a
   ``CertificateProfileError``).
2. **Profile**: the signer's certificate is X.509 v3 and, *when it has a keyUsage extension*, that
   extension allows ``digitalSignature`` or ``nonRepudiation`` (contentCommitment).
   A certificate **without** keyUsage is accepted: RFC 5280 §4.2.1.3 makes an absent keyUsage
   mean "no restriction", and older CA profiles omit it; the government CAs' signing certificates
   carry it.
3. **Revocation**: every certificate of the path below the anchor is looked up in the configured
   CRLs issued (and correctly signed) by its issuer. A certificate listed with a revocation date
   at or before ``at`` is revoked. So is one listed **later** with reason keyCompromise,
   cACompromise, aACompromise, unspecified or no reason: a PAdES B-B or XML signature carries no
   proof of when it was made, so a claimed signing time must not outweigh a compromised key.
   Trust anchors are trusted by configuration and not looked up.
   With ``require_revocation_info=True`` every such certificate must be covered by a CRL whose
   ``nextUpdate`` is not before ``at``; otherwise the path is :class:`UntrustedCertificateError`
   ("update the CRL file"). Without it, a missing CRL is tolerated and
   :attr:`ValidatedSigner.revocation_checked` says so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors

from agent.errors import (
    CertificateError,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateProfileError,
    CertificateRevokedError,
    ConfigError,
    UntrustedCertificateError,
)
from agent.signing.keys import describe_certificate

_T = TypeVar("_T")

# Revocations that count whatever the claimed signing time (see the module docstring).
_COMPROMISE_REASONS = frozenset(
    {
        None,
        x509.ReasonFlags.unspecified,
        x509.ReasonFlags.key_compromise,
        x509.ReasonFlags.ca_compromise,
        x509.ReasonFlags.aa_compromise,
    }
)

_ADD_ANCHOR_HINT = (
    "if the issuing CA is one you trust (e.g. VGCA 'CA phục vụ các cơ quan Nhà nước G2' under "
    "'RootCA chuyên dùng Chính phủ G2'), add its root certificate to the trust anchors and pass "
    "any missing intermediate CA certificates"
)


@dataclass(frozen=True)
class ValidatedSigner:
    """A signer certificate that passed :meth:`TrustPolicy.validate_signer`."""

    subject: str  # RFC 4514 string of the signer certificate's subject
    issuer: str  # RFC 4514 string of its issuer
    serial: int
    chain: tuple[x509.Certificate, ...]  # the signer first, the trust anchor last
    revocation_checked: bool = False  # every certificate below the anchor had a current CRL

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]


class TrustPolicy:
    """The configured trust anchors and CRLs, and the rules above."""

    def __init__(
        self,
        anchors: Sequence[x509.Certificate],
        crls: Sequence[x509.CertificateRevocationList] = (),
        *,
        require_revocation_info: bool = False,
    ) -> None:
        self._anchors = tuple(anchors)
        self._crls = tuple(crls)
        self._require_revocation_info = require_revocation_info
        self._asn1_anchors = [_to_asn1(cert) for cert in self._anchors]

    @property
    def anchors(self) -> tuple[x509.Certificate, ...]:
        return self._anchors

    @property
    def crls(self) -> tuple[x509.CertificateRevocationList, ...]:
        return self._crls

    @property
    def require_revocation_info(self) -> bool:
        return self._require_revocation_info

    @classmethod
    def from_pem(
        cls,
        anchor_data: Sequence[bytes],
        crl_data: Sequence[bytes] = (),
        *,
        require_revocation_info: bool = False,
    ) -> TrustPolicy:
        """Build a policy from certificate bundles and CRLs held in memory (PEM or DER)."""
        anchors = [cert for data in anchor_data for cert in load_certificates(data)]
        crls = [crl for data in crl_data for crl in load_crls(data)]
        return cls(anchors, crls, require_revocation_info=require_revocation_info)

    @classmethod
    def from_pem_files(
        cls,
        anchor_paths: Sequence[str | os.PathLike[str]],
        crl_paths: Sequence[str | os.PathLike[str]] = (),
        *,
        require_revocation_info: bool = False,
    ) -> TrustPolicy:
        """Read anchor bundles (PEM, several certificates each, or DER) and CRLs (PEM or DER)."""
        anchors = [c for p in anchor_paths for c in load_certificates(_read(p), source=str(p))]
        crls = [crl for p in crl_paths for crl in load_crls(_read(p), source=str(p))]
        return cls(anchors, crls, require_revocation_info=require_revocation_info)

    def validate_signer(
        self,
        leaf: x509.Certificate,
        intermediates: Sequence[x509.Certificate],
        at: dt.datetime,
    ) -> ValidatedSigner:
        """Validate ``leaf`` at moment ``at`` (timezone-aware); raise a CertificateError if not."""
        if at.utcoffset() is None:
            raise ValueError("validate_signer needs a timezone-aware moment")
        chain = self._build_path(leaf, intermediates, at)
        check_signer_profile(leaf)
        for cert, issuer in zip(chain, chain[1:], strict=False):
            for crl in self._crls_for(cert, issuer):
                _raise_if_revoked(cert, crl, at)
        checked = self._check_coverage(chain, at)
        return ValidatedSigner(
            subject=leaf.subject.rfc4514_string(),
            issuer=leaf.issuer.rfc4514_string(),
            serial=leaf.serial_number,
            chain=chain,
            revocation_checked=checked,
        )

    # --- path -------------------------------------------------------------------------------

    def _build_path(
        self, leaf: x509.Certificate, intermediates: Sequence[x509.Certificate], at: dt.datetime
    ) -> tuple[x509.Certificate, ...]:
        if not self._anchors:
            raise UntrustedCertificateError(
                f"cannot trust {describe_certificate(leaf)}: no trust anchors are configured",
                hint="configure the trust anchor certificates (PEM bundle) in the agent's settings",
            )
        try:
            context = ValidationContext(
                trust_roots=self._asn1_anchors,
                other_certs=[_to_asn1(cert) for cert in intermediates],
                moment=at,
                allow_fetching=False,
                revocation_mode="none",  # CRLs are checked below, the same way for every cert
            )
            validator = CertificateValidator(_to_asn1(leaf), validation_context=context)
            path = run_sync(validator.async_validate_path())
            certs = [_from_asn1(cert) for cert in path.iter_certs(include_root=True)]
        except Exception as exc:  # noqa: BLE001 - no certvalidator/asn1crypto error may escape
            candidates = (leaf, *intermediates, *self._anchors)
            raise _translate_path_error(exc, leaf, candidates, at) from exc
        return tuple(reversed(certs))

    # --- revocation -------------------------------------------------------------------------

    def _crls_for(
        self, cert: x509.Certificate, issuer: x509.Certificate
    ) -> list[x509.CertificateRevocationList]:
        """Configured CRLs that ``issuer`` signed and that speak about ``cert``."""
        if not _may_sign_crls(issuer):
            return []
        return [
            crl for crl in self._crls if crl.issuer == cert.issuer and _crl_signed_by(crl, issuer)
        ]

    def _check_coverage(self, chain: tuple[x509.Certificate, ...], at: dt.datetime) -> bool:
        """True when every certificate below the anchor has a CRL current at ``at``."""
        for cert, issuer in zip(chain, chain[1:], strict=False):
            if any(_covers(crl, at) for crl in self._crls_for(cert, issuer)):
                continue
            if self._require_revocation_info:
                raise UntrustedCertificateError(
                    f"no current revocation information for {describe_certificate(cert)}: "
                    f"no configured CRL from {cert.issuer.rfc4514_string()} is valid at "
                    f"{at.isoformat()}",
                    hint="download the issuing CA's current CRL and update the CRL file",
                )
            return False
        return True


def check_signer_profile(cert: x509.Certificate) -> None:
    """Raise CertificateProfileError unless ``cert`` is fit to sign documents (see module doc)."""
    name = describe_certificate(cert)
    if cert.version is not x509.Version.v3:
        raise CertificateProfileError(
            f"the signer certificate {name} is X.509 {cert.version.name}; "
            "a document-signing certificate must be X.509 v3",
            hint="the sender must sign with a v3 signing certificate from its CA",
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # RFC 5280 §4.2.1.3: no keyUsage means no restriction
    except ValueError as exc:  # duplicate or malformed extensions
        raise CertificateProfileError(
            f"the extensions of the signer certificate {name} are malformed: {exc}"
        ) from exc
    if not (usage.digital_signature or usage.content_commitment):
        raise CertificateProfileError(
            f"the signer certificate {name} does not allow signing: its keyUsage has neither "
            "digitalSignature nor nonRepudiation",
            hint="the sender signed with a certificate meant for something else (e.g. "
            "encryption); it must use its signing certificate",
        )


def load_certificates(data: bytes, *, source: str = "certificate data") -> list[x509.Certificate]:
    """All certificates of a PEM bundle, or the one certificate of a DER file."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise ConfigError(
            f"{source} holds no readable X.509 certificate: {exc}",
            hint="trust anchors must be PEM (one or more certificates) or DER files",
        ) from exc


def load_crls(data: bytes, *, source: str = "CRL data") -> list[x509.CertificateRevocationList]:
    """All CRLs of a PEM file (one or several), or the one CRL of a DER file."""
    marker = b"-----BEGIN X509 CRL-----"
    try:
        if marker not in data:
            return [x509.load_der_x509_crl(data)]
        blocks = data.split(marker)[1:]
        return [x509.load_pem_x509_crl(marker + block) for block in blocks]
    except ValueError as exc:
        raise ConfigError(
            f"{source} holds no readable CRL: {exc}",
            hint="CRL files must be PEM ('-----BEGIN X509 CRL-----') or DER, as the CA publishes",
        ) from exc


# --- helpers ----------------------------------------------------------------------------------


def _read(path: str | os.PathLike[str]) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise ConfigError(
            f"cannot read {os.fspath(path)}: {exc.strerror or exc}",
            hint="check the path and that the agent's user may read it",
        ) from exc


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _from_asn1(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def run_sync(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine to completion, also inside a running event loop (used by the PDF code)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _translate_path_error(
    exc: Exception,
    leaf: x509.Certificate,
    candidates: Sequence[x509.Certificate],
    at: dt.datetime,
) -> CertificateError:
    name = describe_certificate(leaf)
    when = at.isoformat()
    if isinstance(exc, cv_errors.ExpiredError):
        culprit = _first(candidates, lambda c: c.not_valid_after_utc < at) or leaf
        return CertificateExpiredError(
            f"{describe_certificate(culprit)} had expired on "
            f"{culprit.not_valid_after_utc.isoformat()}, before {when}",
            hint="a signature made with an expired certificate cannot be trusted; "
            "ask the sender to sign again with a current certificate",
        )
    if isinstance(exc, cv_errors.NotYetValidError):
        culprit = _first(candidates, lambda c: c.not_valid_before_utc > at) or leaf
        return CertificateNotYetValidError(
            f"{describe_certificate(culprit)} is valid only from "
            f"{culprit.not_valid_before_utc.isoformat()}, after {when}",
            hint="check the signer's clock and the claimed signing time; if the certificate "
            "was issued later than the signature claims, the signing time is wrong",
        )
    if isinstance(exc, cv_errors.DisallowedAlgorithmError):
        return CertificateProfileError(
            f"the certificate path of {name} uses a disallowed (weak) algorithm: {exc}",
            hint="certificates signed with SHA-1 or MD5 are not accepted",
        )
    if isinstance(exc, cv_errors.PathBuildingError | cv_errors.InvalidCertificateError):
        return UntrustedCertificateError(
            f"{name}, issued by {leaf.issuer.rfc4514_string()}, does not chain to a configured "
            "trust anchor",
            hint=_ADD_ANCHOR_HINT,
        )
    if isinstance(exc, cv_errors.ValidationError):
        return UntrustedCertificateError(
            f"the certificate path of {name} is not valid: {exc}", hint=_ADD_ANCHOR_HINT
        )
    return UntrustedCertificateError(
        f"the certificate {name} could not be validated ({type(exc).__name__}: {exc})"
    )


def _first(
    certs: Sequence[x509.Certificate], predicate: Callable[[x509.Certificate], bool]
) -> x509.Certificate | None:
    return next((cert for cert in certs if predicate(cert)), None)


def _may_sign_crls(issuer: x509.Certificate) -> bool:
    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True  # no keyUsage: no restriction (RFC 5280 §4.2.1.3)
    except ValueError:
        return False
    return usage.crl_sign


def _crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError):  # a key type a CRL cannot be signed with
        return False


def _covers(crl: x509.CertificateRevocationList, at: dt.datetime) -> bool:
    """A CRL speaks for ``at`` until its nextUpdate (a later CRL also covers earlier moments)."""
    next_update = crl.next_update_utc
    return next_update is None or at <= next_update


def _revocation_reason(entry: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except (x509.ExtensionNotFound, ValueError):
        return None


def _raise_if_revoked(
    cert: x509.Certificate, crl: x509.CertificateRevocationList, at: dt.datetime
) -> None:
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is None:
        return
    reason = _revocation_reason(entry)
    if reason is x509.ReasonFlags.remove_from_crl:
        return
    revoked_at = entry.revocation_date_utc
    if revoked_at > at and reason not in _COMPROMISE_REASONS:
        return
    reason_text = reason.value if reason else "no reason given"
    raise CertificateRevokedError(
        f"{describe_certificate(cert)} is revoked: the CRL of {crl.issuer.rfc4514_string()} "
        f"lists it since {revoked_at.isoformat()} ({reason_text})",
        hint="do not rely on this signature; confirm the document with the sender",
    )
