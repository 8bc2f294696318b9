"""A development PKI: a root CA, an optional intermediate, organisation signing certificates, CRLs.

For the demo, the sandbox, ``lienthong-agent keys generate`` and the tests. Never for production:
an agency's real signing certificate comes from Ban Cơ yếu Chính phủ (VGCA) or a public CA.

Clock-free: every function takes ``now``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
KeyKind = Literal["rsa", "ec"]


@dataclass(frozen=True)
class Issued:
    """A key and its certificate, with the chain above it (nearest issuer first)."""

    key: PrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = field(default_factory=tuple)

    def key_pem(self, password: bytes | None = None) -> bytes:
        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
        )

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def chain_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    def pkcs12(self, password: bytes | None, name: bytes = b"lienthong") -> bytes:
        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return pkcs12.serialize_key_and_certificates(
            name, self.key, self.cert, list(self.chain) or None, enc
        )


def new_key(kind: KeyKind = "rsa", bits: int = 2048) -> PrivateKey:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(cn: str, org: str, ou: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
    ]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _ski(key: PrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def make_root(
    now: dt.datetime,
    cn: str = "Lienthong Dev Root CA",
    *,
    kind: KeyKind = "rsa",
    days: int = 3650,
) -> Issued:
    """A self-signed root certificate authority."""
    key = new_key(kind)
    name = _name(cn, "lienthong-agent development PKI")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_ski(key), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert, ())


def make_intermediate(
    issuer: Issued, now: dt.datetime, cn: str = "Lienthong Dev Issuing CA", *, days: int = 1825
) -> Issued:
    """A CA certificate issued by ``issuer`` (which may itself be an intermediate)."""
    key = new_key("rsa")
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, "lienthong-agent development PKI"))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_ski(key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .sign(issuer.key, hashes.SHA256())
    )
    return Issued(key, cert, (issuer.cert, *issuer.chain))


def make_signer(
    issuer: Issued,
    now: dt.datetime,
    *,
    organ_id: str = "000.00.13.H53",
    organ_name: str = "Sở Thông tin và Truyền thông",
    kind: KeyKind = "rsa",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key_usage: Literal["signing", "encipherment-only", "none"] = "signing",
    version1: bool = False,
    key: PrivateKey | None = None,
) -> Issued:
    """An organisation's document-signing certificate (as the văn thư's token would hold).

    ``not_before``/``not_after`` make expired or not-yet-valid certificates; ``key_usage`` and
    ``version1`` make certificates that break the signing profile, for tests.
    """
    key = key or new_key(kind)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(organ_name, organ_name, ou=organ_id))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=730))
    )
    if not version1:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        )
        if key_usage != "none":
            signing = key_usage == "signing"
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=signing, content_commitment=signing,
                    key_encipherment=not signing, data_encipherment=False, key_agreement=False,
                    key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            if signing:
                builder = builder.add_extension(
                    x509.ExtendedKeyUsage(
                        [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CODE_SIGNING]
                    ),
                    critical=False,
                )
        builder = builder.add_extension(_ski(key), critical=False).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    cert = builder.sign(issuer.key, hashes.SHA256())
    if version1:
        cert = _as_version1(cert, issuer.key)
    return Issued(key, cert, (issuer.cert, *issuer.chain))


def _as_version1(cert: x509.Certificate, issuer_key: PrivateKey) -> x509.Certificate:
    """Re-encode a certificate as X.509 v1 (no extensions) to exercise the profile check."""
    from asn1crypto import keys as a_keys  # pyHanko dependency
    from asn1crypto import x509 as a_x509

    tbs = a_x509.TbsCertificate.load(cert.tbs_certificate_bytes)
    new_tbs = a_x509.TbsCertificate(
        {
            "version": "v1",
            "serial_number": tbs["serial_number"],
            "signature": tbs["signature"],
            "issuer": tbs["issuer"],
            "validity": tbs["validity"],
            "subject": tbs["subject"],
            "subject_public_key_info": a_keys.PublicKeyInfo.load(
                tbs["subject_public_key_info"].dump()
            ),
        }
    )
    data = new_tbs.dump()
    if isinstance(issuer_key, rsa.RSAPrivateKey):
        from cryptography.hazmat.primitives.asymmetric import padding

        sig = issuer_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        sig = issuer_key.sign(data, ec.ECDSA(hashes.SHA256()))
    full = a_x509.Certificate(
        {
            "tbs_certificate": new_tbs,
            "signature_algorithm": tbs["signature"],
            "signature_value": sig,
        }
    )
    return x509.load_der_x509_certificate(full.dump())


def make_crl(
    issuer: Issued,
    now: dt.datetime,
    revoked: list[x509.Certificate] | None = None,
    *,
    next_update_days: int = 7,
) -> x509.CertificateRevocationList:
    """A CRL signed by ``issuer`` listing ``revoked`` (revoked one hour before ``now``)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - dt.timedelta(hours=2))
        .next_update(now + dt.timedelta(days=next_update_days))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    for cert in revoked or []:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - dt.timedelta(hours=1))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
    return builder.sign(issuer.key, hashes.SHA256())


def crl_pem(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.PEM)
