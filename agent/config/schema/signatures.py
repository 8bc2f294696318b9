"""``signing`` and ``verification``: the organisation's signatures; judging received ones."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from agent.config.schema.base import (
    ConfigPath,
    CredentialName,
    SecretRef,
    Section,
    key_error,
    secret_ref,
    setting,
)


class KeyFormat(StrEnum):
    """The container of the signing key."""

    AUTO = "auto"
    PKCS12 = "pkcs12"
    PEM = "pem"


#: A rectangle on a PDF page in points: x1, y1, x2, y2 from the lower-left corner.
SealBox = Annotated[tuple[float, float, float, float], Field()]


class SigningSection(Section):
    """The organisation's signature (chữ ký số của cơ quan, tổ chức) on outgoing documents."""

    pdf_signature: bool = setting(
        True,
        description="Apply the organisation's PAdES signature to every PDF attachment (the"
        " signature that survives the axis, TT 41/2017). Earlier signatures stay valid.",
    )
    xml_signature: bool = setting(
        True,
        description="Sign the edXML package (XMLDSig). The national axis re-serialises packages,"
        " so recipients see it as 'altered in transit'; it helps on byte-preserving routes.",
    )
    key_format: KeyFormat = setting(
        KeyFormat.AUTO,
        description="'pkcs12' (.p12/.pfx: key and certificate chain), 'pem' (key, with"
        " 'certificate_file'), or 'auto' from the file name (.p12/.pfx are PKCS#12).",
    )
    key_credential: CredentialName | None = setting(
        None,
        description="systemd credential holding the signing key (PKCS#12 or PEM). Set this or"
        " 'key_file' when a signature is enabled.",
        example="signing-key",
    )
    key_file: ConfigPath | None = setting(
        None,
        description="File holding the signing key (PKCS#12 or PEM), readable only by the"
        " service user.",
        example="/etc/lienthong-agent/signing/organisation.p12",
        example_active=True,
        must_exist=True,
    )
    certificate_file: ConfigPath | None = setting(
        None,
        description="PEM certificate chain of a PEM key, signer first. Not used with PKCS#12.",
        example="/etc/lienthong-agent/signing/organisation-chain.pem",
        must_exist=True,
    )
    key_password_credential: CredentialName | None = setting(
        None,
        description="systemd credential holding the key's password (an empty file: no"
        " password). Set this or 'key_password_file' for an encrypted key.",
        example="signing-key-password",
        example_active=True,
    )
    key_password_file: ConfigPath | None = setting(
        None,
        description="File holding the key's password (a trailing newline is ignored).",
        example="/etc/lienthong-agent/credentials/signing-key-password",
        must_exist=True,
    )
    seal_image: ConfigPath | None = setting(
        None,
        description="PNG image of the organisation's seal shown in a visible signature box."
        " Empty: an invisible signature.",
        example="/etc/lienthong-agent/signing/seal.png",
        must_exist=True,
    )
    seal_page: int = setting(
        1,
        description="Page of the visible seal: 1 is the first page, -1 the last.",
    )
    seal_box: SealBox = setting(
        (380.0, 700.0, 560.0, 790.0),
        description="Rectangle of the visible seal in points (x1, y1, x2, y2 from the lower-left"
        " corner of the page).",
    )
    reason: str = setting(
        "Ký số của cơ quan, tổ chức ban hành văn bản",
        description="Reason written in the PDF signature.",
    )
    location: str | None = setting(
        None, description="Location written in the PDF signature.", example="Tây Ninh"
    )

    @model_validator(mode="after")
    def _references(self) -> Self:
        # Whether a key is required is checked by AgentConfig (check_signing_key), so that the
        # section's default, built when 'signing' is absent, is valid on its own.
        secret_ref(self, "key", required=False, what="the signing key")
        secret_ref(self, "key_password", required=False, what="the key password")
        if self.seal_page == 0:
            raise key_error("seal_page", "pages count from 1 (first) or -1 (last); 0 is neither")
        x1, y1, x2, y2 = self.seal_box
        if x2 <= x1 or y2 <= y1:
            raise key_error("seal_box", "x2 must exceed x1 and y2 must exceed y1")
        return self

    @property
    def key(self) -> SecretRef | None:
        """Where the signing key is, if configured."""
        return secret_ref(self, "key", required=False, what="a signing key")

    @property
    def key_password(self) -> SecretRef | None:
        """Where the key's password is, if configured."""
        return secret_ref(self, "key_password", required=False, what="the key password")


class FailureAction(StrEnum):
    """What happens to a received document whose signatures do not verify."""

    REPORT = "report"
    QUARANTINE = "quarantine"


class VerificationSection(Section):
    """How signatures on received documents are verified. The system CA store is never used."""

    trust_anchors: list[ConfigPath] = setting(
        default_factory=list,
        description="PEM or DER files of the root certificates trusted for document signatures"
        " (e.g. RootCA chuyên dùng Chính phủ G2, the national root). Empty: every signature"
        " is reported as untrusted.",
        example=["/etc/lienthong-agent/trust/vgca-g2-root.pem"],
        must_exist=True,
    )
    crl_files: list[ConfigPath] = setting(
        default_factory=list,
        description="Certificate revocation lists (PEM or DER) consulted during verification.",
        example=["/etc/lienthong-agent/trust/vgca-g2.crl"],
        must_exist=True,
    )
    require_revocation_info: bool = setting(
        False,
        description="Report a signature whose certificate has no revocation information in the"
        " configured CRLs as not valid.",
    )
    pdf_signatures: bool = setting(
        True, description="Verify the PAdES signatures of received PDF attachments."
    )
    xml_signature: bool = setting(
        True,
        description="Verify the XML signature of received packages when present; a failure after"
        " the axis is reported as 'altered in transit'.",
    )
    on_failure: FailureAction = setting(
        FailureAction.REPORT,
        description="'report': deliver the document with the verification result in"
        " document.json (unsigned and publicly signed documents are common). 'quarantine':"
        " put it in quarantine/ and acknowledge it as failed.",
    )


def check_signing_key(signing: SigningSection) -> list[tuple[str, str]]:
    """A signature that is enabled needs a key."""
    if (signing.pdf_signature or signing.xml_signature) and signing.key is None:
        return [
            (
                "signing.key_file",
                "a signing key is required while pdf_signature or xml_signature is on: name a"
                " file with 'key_file' or a systemd credential with 'key_credential'",
            )
        ]
    return []
