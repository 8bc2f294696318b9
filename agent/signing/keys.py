"""The organisation's signing identity: private key, certificate and CA chain.

The văn thư's key arrives as a PKCS#12 file (``.p12``/``.pfx``, as CAs and tokens export it) or as
PEM files (key, certificate, optional chain). Functions here take **bytes**: the caller reads files
or systemd credentials (``$CREDENTIALS_DIRECTORY``); the ``from_*_files`` helpers are thin wrappers
for tools and tests. RSA and EC keys are supported.

Every failure is a :class:`~agent.errors.KeyMaterialError`. Messages name files and certificates,
never passwords or key bytes.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from agent.errors import KeyMaterialError, SigningError

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
Password = bytes | str | None


def describe_certificate(cert: x509.Certificate) -> str:
    """``CN=...,O=...`` plus the serial in hex: how messages name a certificate."""
    return f"{cert.subject.rfc4514_string()} (serial 0x{cert.serial_number:x})"


@dataclass(frozen=True)
class SigningIdentity:
    """A private key with its certificate (the key is checked to belong to it)."""

    key: SigningKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()  # issuer first, up towards the root

    def __post_init__(self) -> None:
        if not isinstance(self.key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise KeyMaterialError(
                f"unsupported private key type {type(self.key).__name__}",
                hint="use an RSA or EC (ECDSA) signing key",
            )
        if _spki(self.key.public_key()) != _spki(self.certificate.public_key()):
            raise KeyMaterialError(
                "the private key does not belong to certificate "
                f"{describe_certificate(self.certificate)}",
                hint="pair the key with the certificate issued for it (compare their public keys)",
            )

    def check_usable(self, now: dt.datetime) -> None:
        """Refuse to sign with a certificate that is not valid at ``now`` (timezone-aware): a
        signature made with it would read as expired or not-yet-valid at every recipient."""
        if now.utcoffset() is None:
            raise ValueError("signing needs a timezone-aware 'now'")
        cert = self.certificate
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise SigningError(
                f"the signing certificate {describe_certificate(cert)} is not valid at "
                f"{now.isoformat()} (valid {cert.not_valid_before_utc.isoformat()} to "
                f"{cert.not_valid_after_utc.isoformat()})",
                hint="renew the organisation's certificate, or check the system clock",
            )

    @classmethod
    def from_pkcs12(cls, data: bytes, password: Password) -> SigningIdentity:
        """Load a PKCS#12 (.p12/.pfx) container holding the key, its certificate and CAs."""
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, _as_bytes(password))
        except (ValueError, TypeError) as exc:
            raise KeyMaterialError(
                "cannot open the PKCS#12 file: the password is wrong or it is not PKCS#12 data",
                hint="check the password credential and that the file is the .p12/.pfx export",
            ) from exc
        if key is None or cert is None:
            missing = "private key" if key is None else "certificate"
            raise KeyMaterialError(f"the PKCS#12 file holds no {missing}")
        return cls._build(key, cert, extra)

    @classmethod
    def from_pem(
        cls,
        key_pem: bytes,
        cert_pem: bytes,
        chain_pem: bytes | None = None,
        *,
        password: Password = None,
    ) -> SigningIdentity:
        """Load a PEM private key (optionally encrypted), its PEM certificate and a PEM chain."""
        key = _load_pem_key(key_pem, _as_bytes(password))
        certs = _load_pem_certs(cert_pem, "certificate")
        extra = _load_pem_certs(chain_pem, "chain") if chain_pem else []
        return cls._build(key, certs[0], [*certs[1:], *extra])

    @classmethod
    def from_pkcs12_file(cls, path: str | os.PathLike[str], password: Password) -> SigningIdentity:
        return cls.from_pkcs12(_read(path), password)

    @classmethod
    def from_pem_files(
        cls,
        key_path: str | os.PathLike[str],
        cert_path: str | os.PathLike[str],
        chain_path: str | os.PathLike[str] | None = None,
        *,
        password: Password = None,
    ) -> SigningIdentity:
        chain = _read(chain_path) if chain_path is not None else None
        return cls.from_pem(_read(key_path), _read(cert_path), chain, password=password)

    @classmethod
    def _build(
        cls, key: object, cert: x509.Certificate, extra: list[x509.Certificate]
    ) -> SigningIdentity:
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise KeyMaterialError(
                f"unsupported private key type {type(key).__name__} for "
                f"{describe_certificate(cert)}",
                hint="use an RSA or EC (ECDSA) signing key",
            )
        return cls(key=key, certificate=cert, chain=order_chain(cert, extra))


def order_chain(
    leaf: x509.Certificate, others: list[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    """Issuer first, then its issuer, ...; unrelated extras after; the leaf itself dropped."""
    pool = [c for c in dict.fromkeys(others) if c != leaf]
    ordered: list[x509.Certificate] = []
    current = leaf
    while True:
        parent = next((c for c in pool if c.subject == current.issuer and c not in ordered), None)
        if parent is None or parent == current:
            break
        ordered.append(parent)
        current = parent
    return (*ordered, *(c for c in pool if c not in ordered))


@dataclass(frozen=True)
class CertificateSummary:
    """What ``keys show`` and ``doctor`` print about a certificate."""

    subject: str
    issuer: str
    serial: str  # hex, as certificate viewers show it
    not_before: dt.datetime
    not_after: dt.datetime
    days_to_expiry: int  # negative once expired
    key_type: str  # "RSA-2048", "EC secp256r1"
    sha256_fingerprint: str

    def to_dict(self) -> dict[str, str | int]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_to_expiry": self.days_to_expiry,
            "key_type": self.key_type,
            "sha256_fingerprint": self.sha256_fingerprint,
        }


def certificate_summary(cert: x509.Certificate, now: dt.datetime) -> CertificateSummary:
    """Summarise ``cert``; ``days_to_expiry`` counts whole days from ``now`` (aware datetime)."""
    return CertificateSummary(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=f"{cert.serial_number:x}",
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        days_to_expiry=(cert.not_valid_after_utc - now).days,
        key_type=_key_type(cert.public_key()),
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(":"),
    )


# --- helpers ----------------------------------------------------------------------------------


def _key_type(public: object) -> str:
    if isinstance(public, rsa.RSAPublicKey):
        return f"RSA-{public.key_size}"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return f"EC {public.curve.name}"
    return type(public).__name__


def _spki(public: object) -> bytes:
    if not isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return b""
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _as_bytes(password: Password) -> bytes | None:
    if password is None or password in ("", b""):
        return None
    return password.encode("utf-8") if isinstance(password, str) else password


def _load_pem_key(data: bytes, password: bytes | None) -> object:
    if b"-----BEGIN" not in data:
        raise KeyMaterialError("the private key is not PEM (no '-----BEGIN' line)")
    try:
        return serialization.load_pem_private_key(data, password)
    except TypeError as exc:
        if password is not None:  # a password was given for an unencrypted key: harmless
            return _load_pem_key(data, None)
        raise KeyMaterialError(
            "the private key is encrypted and no password was given",
            hint="provide the key's password (as a systemd credential, never in the YAML)",
        ) from exc
    except ValueError as exc:
        reason = "the password is wrong or the key is damaged" if password else "unreadable PEM"
        raise KeyMaterialError(f"cannot load the private key: {reason}") from exc


def _load_pem_certs(data: bytes, what: str) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise KeyMaterialError(f"the {what} PEM holds no readable certificate: {exc}") from exc
    return certs


def _read(path: str | os.PathLike[str]) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise KeyMaterialError(
            f"cannot read {os.fspath(path)}: {exc.strerror or exc}",
            hint="check the path and that the agent's user may read it",
        ) from exc
