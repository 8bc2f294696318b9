"""The result of checking one signature (XML on the package, or PAdES inside a PDF attachment).

Verification never raises for a bad signature: it returns a :class:`SignatureReport` whose
``status`` says what an operator needs to know and whose ``error`` is the specific
:class:`agent.errors.VerificationError` that explains why. Reports go into ``document.json`` in the
inbox, into ``edxml inspect`` / ``edxml verify`` output and into logs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from agent.errors import (
    AlteredInTransitError,
    CertificateError,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    VerificationError,
)


class SignatureStatus(StrEnum):
    VALID = "valid"  # cryptographically intact, signer chains to a configured trust anchor
    INVALID = "invalid"  # broken, tampered, wrong structure or weak algorithm
    UNTRUSTED = "untrusted"  # intact, but no path to a trust anchor, or certificate profile wrong
    REVOKED = "revoked"  # the signer's certificate is on a configured CRL
    EXPIRED = "expired"  # the certificate had expired at signing time
    NOT_YET_VALID = "not-yet-valid"  # the certificate was not yet valid at signing time
    UNSIGNED = "unsigned"  # no signature at all
    ALTERED_IN_TRANSIT = "altered-in-transit"  # XML only: the axis re-serialised the package (§9)


def status_for(error: VerificationError | None) -> SignatureStatus:
    """Map a verification error (or none) to the status shown to operators."""
    if error is None:
        return SignatureStatus.VALID
    if isinstance(error, AlteredInTransitError):
        return SignatureStatus.ALTERED_IN_TRANSIT
    if isinstance(error, CertificateRevokedError):
        return SignatureStatus.REVOKED
    if isinstance(error, CertificateExpiredError):
        return SignatureStatus.EXPIRED
    if isinstance(error, CertificateNotYetValidError):
        return SignatureStatus.NOT_YET_VALID
    if isinstance(error, CertificateError):
        return SignatureStatus.UNTRUSTED
    return SignatureStatus.INVALID


@dataclass(frozen=True)
class SignatureReport:
    """One signature's verdict. ``target`` is ``"package"`` or an attachment's name."""

    kind: Literal["xml", "pdf"]
    target: str
    status: SignatureStatus
    signer_subject: str | None = None
    signing_time: dt.datetime | None = None
    error: VerificationError | None = None
    index: int = 0  # which signature in the file (PDFs may carry several)
    details: tuple[tuple[str, str], ...] = ()  # extra facts (algorithm, field name, coverage, ...)

    @property
    def ok(self) -> bool:
        return self.status is SignatureStatus.VALID

    @classmethod
    def unsigned(cls, kind: Literal["xml", "pdf"], target: str) -> SignatureReport:
        return cls(kind=kind, target=target, status=SignatureStatus.UNSIGNED)

    @classmethod
    def failed(
        cls,
        kind: Literal["xml", "pdf"],
        target: str,
        error: VerificationError,
        **kw: Any,
    ) -> SignatureReport:
        return cls(kind=kind, target=target, status=status_for(error), error=error, **kw)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "index": self.index,
            "status": self.status.value,
            "signer_subject": self.signer_subject,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "error": self.error.to_dict() if self.error else None,
            "details": dict(self.details),
        }
