"""``keys show``: the certificates of a PEM bundle, a DER certificate or a PKCS#12 file, and
whether the private key beside them belongs to the first one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli import EXIT_OK
from agent.cli._output import print_json
from agent.cli._state import utc_now
from agent.cli.keys import BANNER, DEV_ORGANISATION
from agent.errors import KeyMaterialError

if TYPE_CHECKING:
    from cryptography import x509

@dataclass(frozen=True)
class Contents:
    container: str  # "pem", "der" or "pkcs12"
    certificates: Sequence[x509.Certificate]
    private_key: bool
    key_matches: bool | None  # None when there is no key


def read_contents(path: Path, password: bytes | None) -> Contents:
    """The certificates (and whether a matching key is there) of a PEM, DER or PKCS#12 file."""
    from cryptography import x509

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyMaterialError(f"cannot read {path}: {exc.strerror}") from None
    if b"-----BEGIN" in data:
        return _pem_contents(path, data, password)
    if path.suffix.lower() not in (".p12", ".pfx"):
        try:
            return Contents("der", [x509.load_der_x509_certificate(data)], False, None)
        except ValueError:
            pass
    from agent.signing.keys import SigningIdentity

    identity = SigningIdentity.from_pkcs12(data, password)  # refuses a key of another cert
    return Contents("pkcs12", [identity.certificate, *identity.chain], True, True)


def _pem_contents(path: Path, data: bytes, password: bytes | None) -> Contents:
    from cryptography import x509

    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise KeyMaterialError(f"{path} holds no certificate",
                               hint="give the certificate (.pem/.crt/.cer) or the .p12 file")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise KeyMaterialError(f"{path}: unreadable PEM certificate: {exc}") from None
    has_key = b"PRIVATE KEY-----" in data
    return Contents("pem", certs, has_key, _pem_key_matches(data, password) if has_key else None)


def _pem_key_matches(data: bytes, password: bytes | None) -> bool | None:
    """Whether the key in a PEM bundle belongs to its first certificate (None: unreadable)."""
    from agent.signing.keys import SigningIdentity

    try:
        SigningIdentity.from_pem(data, data, password=password)
    except KeyMaterialError as exc:
        return False if "does not belong" in exc.message else None
    return True


def show(path: Path, password: bytes | None, *, as_json: bool) -> int:
    """``keys show``: print the contents of ``path``."""
    contents = read_contents(path, password)
    now = utc_now()
    if as_json:
        print_json(_contents_json(path, contents, now))
    else:
        print(_contents_text(path, contents, now))
    return EXIT_OK


def is_development(cert: x509.Certificate) -> bool:
    """Issued by (or being) a CA of the development PKI."""
    return DEV_ORGANISATION in cert.issuer.rfc4514_string()


def _is_ca(cert: x509.Certificate) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _contents_json(path: Path, contents: Contents, now: dt.datetime) -> dict[str, Any]:
    from agent.signing.keys import certificate_summary

    certs = [{**certificate_summary(c, now).to_dict(), "is_ca": _is_ca(c)}
             for c in contents.certificates]
    return {"file": str(path), "container": contents.container,
            "development_only": any(is_development(c) for c in contents.certificates),
            "private_key": {"present": contents.private_key,
                            "matches_certificate": contents.key_matches},
            "certificates": certs}


def _contents_text(path: Path, contents: Contents, now: dt.datetime) -> str:
    from agent.signing.keys import certificate_summary

    with_key = ", with its private key" if contents.private_key else ""
    lines = [f"{path}: {contents.container.upper()}, {len(contents.certificates)}"
             f" certificate(s){with_key}"]
    if contents.key_matches is False:
        lines.append("  WARNING: the private key does not belong to the certificate")
    for index, cert in enumerate(contents.certificates, 1):
        s = certificate_summary(cert, now)
        role = "CA" if _is_ca(cert) else "end entity (signer)"
        expiry = (f"{s.days_to_expiry} days" if s.days_to_expiry >= 0
                  else f"EXPIRED {-s.days_to_expiry} days ago")
        lines += [f"\nCertificate {index}: {role}", f"  Subject:     {s.subject}",
                  f"  Issuer:      {s.issuer}", f"  Serial:      {s.serial}",
                  f"  Valid:       {s.not_before:%Y-%m-%d %H:%M} to"
                  f" {s.not_after:%Y-%m-%d %H:%M} UTC",
                  f"  Expires in:  {expiry}", f"  Key type:    {s.key_type}",
                  f"  SHA-256:     {s.sha256_fingerprint}"]
    if any(is_development(c) for c in contents.certificates):
        lines.append(f"\n{BANNER}")
    return "\n".join(lines)
