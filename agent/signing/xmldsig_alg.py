"""XMLDSig algorithm identifiers, the allow-list, and the raw signature primitives.

Allowed: RSA PKCS#1 v1.5 and ECDSA with SHA-256/384/512 (RFC 6931 identifiers), digests
SHA-256/384/512, canonicalization Exclusive C14N 1.0 or C14N 1.0 without comments, and the
enveloped-signature transform. Anything else (SHA-1, MD5, HMAC, DSA, the ``#WithComments``
variants, XPath / XSLT transforms) is refused.

XMLDSig carries an ECDSA signature as the raw concatenation ``r || s`` (each integer left-padded to
the curve's byte size, RFC 4050 / XMLDSig 1.1 §6.4.3), not the DER ``Ecdsa-Sig-Value`` that
OpenSSL and ``cryptography`` produce; :func:`sign_raw` and :func:`verify_raw` convert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from agent.core.c14n import ALG_C14N, ALG_EXC_C14N
from agent.errors import SignatureInvalidError, SigningError, WeakAlgorithmError

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
QCVN_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
EXC_C14N_NS = ALG_EXC_C14N  # namespace of <InclusiveNamespaces PrefixList="...">

ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
EXC_C14N = ALG_EXC_C14N
C14N = ALG_C14N
CANONICALIZATIONS = {EXC_C14N: True, C14N: False}  # algorithm -> exclusive?

_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
_ENC = "http://www.w3.org/2001/04/xmlenc#"


@dataclass(frozen=True)
class DigestAlg:
    uri: str
    name: str  # hashlib name


@dataclass(frozen=True)
class SignatureAlg:
    uri: str
    key: str  # "rsa" or "ec"
    hash: type[hashes.HashAlgorithm]


DIGESTS = {
    d.uri: d
    for d in (
        DigestAlg(_ENC + "sha256", "sha256"),
        DigestAlg(_MORE + "sha384", "sha384"),
        DigestAlg(_ENC + "sha512", "sha512"),
    )
}
SIGNATURES = {
    s.uri: s
    for s in (
        SignatureAlg(_MORE + "rsa-sha256", "rsa", hashes.SHA256),
        SignatureAlg(_MORE + "rsa-sha384", "rsa", hashes.SHA384),
        SignatureAlg(_MORE + "rsa-sha512", "rsa", hashes.SHA512),
        SignatureAlg(_MORE + "ecdsa-sha256", "ec", hashes.SHA256),
        SignatureAlg(_MORE + "ecdsa-sha384", "ec", hashes.SHA384),
        SignatureAlg(_MORE + "ecdsa-sha512", "ec", hashes.SHA512),
    )
}
SHA256 = DIGESTS[_ENC + "sha256"]
RSA_SHA256 = SIGNATURES[_MORE + "rsa-sha256"]
ECDSA_SHA256 = SIGNATURES[_MORE + "ecdsa-sha256"]
SHA1_URIS = frozenset(
    {
        "http://www.w3.org/2000/09/xmldsig#sha1",
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        _MORE + "ecdsa-sha1",
    }
)

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def digest_alg(uri: str | None) -> DigestAlg:
    """The allowed digest for ``uri``; WeakAlgorithmError otherwise."""
    if uri in DIGESTS:
        return DIGESTS[uri]
    raise _weak("digest", uri)


def signature_alg(uri: str | None) -> SignatureAlg:
    """The allowed signature method for ``uri``; WeakAlgorithmError otherwise."""
    if uri in SIGNATURES:
        return SIGNATURES[uri]
    raise _weak("signature", uri)


def _weak(what: str, uri: str | None) -> WeakAlgorithmError:
    if uri in SHA1_URIS:
        return WeakAlgorithmError(
            f"the XML signature uses SHA-1 ({what} method {uri}), which is no longer accepted",
            hint="the sender must sign with SHA-256 or stronger (rsa-sha256 / ecdsa-sha256)",
        )
    return WeakAlgorithmError(
        f"the XML signature's {what} method {uri or '(missing)'} is not on the allow-list",
        hint="accepted: RSA or ECDSA with SHA-256/384/512, SHA-256/384/512 digests",
    )


def new_hash(alg: DigestAlg) -> hashlib._Hash:
    return hashlib.new(alg.name)


def signature_alg_for(key: PrivateKey) -> SignatureAlg:
    """The SHA-256 signature method matching the key type."""
    return RSA_SHA256 if isinstance(key, rsa.RSAPrivateKey) else ECDSA_SHA256


def sign_raw(key: PrivateKey, alg: SignatureAlg, data: bytes) -> bytes:
    """Sign ``data``; ECDSA comes out as XMLDSig's raw ``r || s``."""
    if isinstance(key, rsa.RSAPrivateKey) and alg.key == "rsa":
        return key.sign(data, padding.PKCS1v15(), alg.hash())
    if isinstance(key, ec.EllipticCurvePrivateKey) and alg.key == "ec":
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(alg.hash())))
        size = _curve_bytes(key.curve)
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    raise SigningError(f"the signing key does not fit the signature method {alg.uri}")


def verify_raw(public: object, alg: SignatureAlg, signature: bytes, data: bytes) -> None:
    """Raise SignatureInvalidError unless ``signature`` over ``data`` checks with ``public``."""
    check: Callable[[], None]
    if isinstance(public, rsa.RSAPublicKey) and alg.key == "rsa":

        def check() -> None:
            public.verify(signature, data, padding.PKCS1v15(), alg.hash())
    elif isinstance(public, ec.EllipticCurvePublicKey) and alg.key == "ec":
        der = _raw_to_der(signature, _curve_bytes(public.curve))

        def check() -> None:
            public.verify(der, data, ec.ECDSA(alg.hash()))
    else:
        raise SignatureInvalidError(
            f"the signer certificate's key ({type(public).__name__}) does not fit the "
            f"signature method {alg.uri}"
        )
    try:
        check()
    except InvalidSignature as exc:
        raise SignatureInvalidError(
            "the SignatureValue does not match SignedInfo and the signer's certificate"
        ) from exc


def _curve_bytes(curve: ec.EllipticCurve) -> int:
    return (curve.key_size + 7) // 8


def _raw_to_der(signature: bytes, size: int) -> bytes:
    if len(signature) != 2 * size:
        raise SignatureInvalidError(
            f"the ECDSA SignatureValue is {len(signature)} bytes; XMLDSig's r||s form for this "
            f"curve is {2 * size} bytes"
        )
    r = int.from_bytes(signature[:size], "big")
    s = int.from_bytes(signature[size:], "big")
    return encode_dss_signature(r, s)
