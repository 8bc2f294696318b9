"""The exception tree of lienthong-agent.

Every error the agent raises on purpose is a :class:`LienthongError`. Each class carries a
stable ``code`` (a dotted slug used in logs, error files and ``--json`` output) and every instance
carries a ``message`` that tells an operator what was wrong and, where one is known, a ``hint``
that says how to fix it. Foreign exceptions (``httpx.*``, ``sqlite3.*``, ``OSError`` from a full
disk, ``lxml``) are translated at the edge of the module that meets them, with
``raise ... from exc``.

Messages never contain secrets (HMAC secrets, key passwords, PINs).

::

    LienthongError
    ├── ConfigError                          the YAML configuration or a value in it is wrong
    ├── ProtocolError                        input that breaks the edXML / axis protocol rules
    │   ├── XmlSafetyError                   the XML is refused before or while it is read
    │   │   ├── ForbiddenDeclarationError    a DOCTYPE is present (no DTDs are ever processed)
    │   │   │   ├── ExternalDtdError         DOCTYPE pointing at an external DTD
    │   │   │   ├── EntityDeclarationError   internal ENTITY declarations (billion laughs)
    │   │   │   └── ExternalEntityError      external ENTITY declarations (XXE)
    │   │   ├── LimitExceededError           total size, nesting depth, element or text count
    │   │   └── XmlSyntaxError               not well-formed XML, or not UTF-8
    │   ├── PackageError                     well-formed XML that is not a valid edXML package
    │   │   ├── MissingElementError          a required element is absent
    │   │   ├── InvalidValueError            a value has the wrong format (date, integer, code)
    │   │   └── ManifestMismatchError        manifest and attachments do not correspond
    │   ├── AttachmentError                  an attachment cannot be accepted as it is
    │   │   ├── UnsafeAttachmentNameError    traversal, absolute path, control chars, device names
    │   │   ├── AttachmentDecodeError        the base64 payload is broken
    │   │   └── ZipRejectedError             a ZIP attachment cannot be unwrapped safely
    │   │       ├── ZipBombError             expands beyond the limits
    │   │       └── ZipStructureError        overlapping entries, encryption, inconsistent headers
    │   ├── OrganCodeError                   a mã định danh or system id is malformed or unknown
    │   └── RequestAuthError                 an XroadVnpt request signature does not check out
    ├── SignatureError                       document signatures (XML and PDF)
    │   ├── KeyMaterialError                 a key or certificate cannot be loaded or do not match
    │   ├── SigningError                     a signature could not be applied
    │   └── VerificationError                why a signature was not accepted (kept in reports)
    │       ├── SignatureStructureError      missing / extra / misplaced Signature or Reference
    │       │   └── SignatureWrappingError   signed content and read content could differ
    │       ├── CommentInjectionError        comments inside signed values
    │       ├── WeakAlgorithmError           SHA-1 or an algorithm outside the allow-list
    │       ├── MissingCertificateError      no X.509 certificate (e.g. KeyValue only)
    │       ├── SignatureInvalidError        digest or signature value does not match
    │       ├── AlteredInTransitError        the axis re-serialised the signed package (§9)
    │       └── CertificateError             the signer's certificate is not acceptable
    │           ├── UntrustedCertificateError       no path to a configured trust anchor
    │           ├── CertificateExpiredError         expired at signing time
    │           ├── CertificateNotYetValidError     not yet valid at signing time
    │           ├── CertificateRevokedError         listed in a configured CRL
    │           └── CertificateProfileError         not v3, wrong key usage, ...
    ├── AxisError                            the national axis (or the sandbox) failed or refused
    │   ├── AxisTransportError               connection refused, reset, timed out: retry
    │   │   └── AxisRateLimitedError         HTTP 429; ``retry_after`` seconds if given
    │   ├── AxisProtocolError                an answer that breaks the protocol (non-JSON, lies)
    │   └── AxisRejectedError                ``status: FAIL`` with ``ErrorCode``/``ErrorDesc``
    │       └── AxisAuthError                wrong system id or secret
    ├── StorageError                         the exchange folders or the journal cannot be written
    │   └── DiskFullError                    no space left (ENOSPC / EDQUOT)
    ├── ExchangeItemError                    an item the document system dropped cannot be used
    └── JournalError                         the journal database is unusable or inconsistent
        └── IllegalTransitionError           a state change its state machine does not allow
"""

from __future__ import annotations


class LienthongError(Exception):
    """Base of every error raised on purpose by lienthong-agent."""

    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready description for error files and ``--json`` output."""
        out = {"error": type(self).__name__, "code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out


# --- configuration ---------------------------------------------------------------------------


class ConfigError(LienthongError):
    code = "config"


# --- protocol input ---------------------------------------------------------------------------


class ProtocolError(LienthongError):
    code = "protocol"


class XmlSafetyError(ProtocolError):
    code = "xml.unsafe"


class ForbiddenDeclarationError(XmlSafetyError):
    code = "xml.doctype"


class ExternalDtdError(ForbiddenDeclarationError):
    code = "xml.external-dtd"


class EntityDeclarationError(ForbiddenDeclarationError):
    code = "xml.entity-declaration"


class ExternalEntityError(ForbiddenDeclarationError):
    code = "xml.external-entity"


class LimitExceededError(XmlSafetyError):
    code = "xml.limit"


class XmlSyntaxError(XmlSafetyError):
    code = "xml.syntax"


class PackageError(ProtocolError):
    code = "edxml.invalid"


class MissingElementError(PackageError):
    code = "edxml.missing-element"


class InvalidValueError(PackageError):
    code = "edxml.invalid-value"


class ManifestMismatchError(PackageError):
    code = "edxml.manifest-mismatch"


class AttachmentError(ProtocolError):
    code = "attachment"


class UnsafeAttachmentNameError(AttachmentError):
    code = "attachment.unsafe-name"


class AttachmentDecodeError(AttachmentError):
    code = "attachment.decode"


class ZipRejectedError(AttachmentError):
    code = "attachment.zip"


class ZipBombError(ZipRejectedError):
    code = "attachment.zip-bomb"


class ZipStructureError(ZipRejectedError):
    code = "attachment.zip-structure"


class OrganCodeError(ProtocolError):
    code = "organ-code"


class RequestAuthError(ProtocolError):
    code = "request-auth"


# --- document signatures ----------------------------------------------------------------------


class SignatureError(LienthongError):
    code = "signature"


class KeyMaterialError(SignatureError):
    code = "signature.key"


class SigningError(SignatureError):
    code = "signature.signing"


class VerificationError(SignatureError):
    code = "signature.verification"


class SignatureStructureError(VerificationError):
    code = "signature.structure"


class SignatureWrappingError(SignatureStructureError):
    code = "signature.wrapping"


class CommentInjectionError(VerificationError):
    code = "signature.comment-injection"


class WeakAlgorithmError(VerificationError):
    code = "signature.weak-algorithm"


class MissingCertificateError(VerificationError):
    code = "signature.no-certificate"


class SignatureInvalidError(VerificationError):
    code = "signature.invalid"


class AlteredInTransitError(VerificationError):
    code = "signature.altered-in-transit"


class CertificateError(VerificationError):
    code = "certificate"


class UntrustedCertificateError(CertificateError):
    code = "certificate.untrusted"


class CertificateExpiredError(CertificateError):
    code = "certificate.expired"


class CertificateNotYetValidError(CertificateError):
    code = "certificate.not-yet-valid"


class CertificateRevokedError(CertificateError):
    code = "certificate.revoked"


class CertificateProfileError(CertificateError):
    code = "certificate.profile"


# --- the axis ---------------------------------------------------------------------------------


class AxisError(LienthongError):
    code = "axis"


class AxisTransportError(AxisError):
    code = "axis.transport"


class AxisRateLimitedError(AxisTransportError):
    code = "axis.rate-limited"

    def __init__(
        self, message: str, *, retry_after: float | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class AxisProtocolError(AxisError):
    code = "axis.protocol"


class AxisRejectedError(AxisError):
    code = "axis.rejected"

    def __init__(
        self, message: str, *, error_code: str = "", error_desc: str = "", hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.error_code = error_code
        self.error_desc = error_desc


class AxisAuthError(AxisRejectedError):
    code = "axis.auth"


# --- storage ----------------------------------------------------------------------------------


class StorageError(LienthongError):
    code = "storage"


class DiskFullError(StorageError):
    code = "storage.disk-full"


class ExchangeItemError(LienthongError):
    """``problems`` lists every mistake found, each prefixed with where it is."""

    code = "exchange.item"

    def __init__(
        self, message: str, *, problems: tuple[str, ...] = (), hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems


class JournalError(LienthongError):
    code = "journal"


class IllegalTransitionError(JournalError):
    code = "journal.illegal-transition"
