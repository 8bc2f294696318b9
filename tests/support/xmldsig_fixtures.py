"""Packages, keys and forgeries for the XML-signature tests (no files: everything in memory).

* :func:`pki` makes a dev root, an issuing CA and an organisation signer (RSA or EC), cached;
* :func:`sign` / :func:`verify` wrap the code under test for packages held as bytes;
* :func:`forge` writes a Signature by hand with any algorithm, Reference URI, transform list or
  KeyInfo, *cryptographically correct*, so a test isolates exactly the rule it attacks;
* :func:`axis_transit` rewrites a package the way the national axis does (AXIS.md §9).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from agent.core.c14n import Canonicalizer, ExcludeSubtree
from agent.core.xmlstream import read_events
from agent.signing import devpki
from agent.signing.keys import SigningIdentity
from agent.signing.report import SignatureReport
from agent.signing.trust import TrustPolicy
from agent.signing.xmldsig import sign_stream, verify_stream
from agent.signing.xmldsig_alg import C14N, DSIG_NS, ENVELOPED, EXC_C14N, QCVN_NS, sign_raw
from agent.signing.xmldsig_alg import SIGNATURES as ALLOWED_SIGNATURES
from agent.signing.xmldsig_facts import is_header_signature
from agent.signing.xmldsig_sign import canonicalize_fragment
from tests.unit.edxml.examples import EDOC_NEW

# 10:00 in Vietnam on the day of the example package; its sender TraceHeader says 08:30:00.
NOW = dt.datetime(2024, 11, 5, 3, 0, tzinfo=dt.UTC)
SENDER_SIGNING_TIME = dt.datetime(2024, 11, 5, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
HEADER_END = b"</edXML:edXMLHeader>"

SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
_HASHES = {SHA1: "sha1", SHA256: "sha256", SHA384: "sha384", SHA512: "sha512"}


@dataclass(frozen=True)
class Pki:
    root: devpki.Issued
    issuing: devpki.Issued
    signer: devpki.Issued

    @property
    def identity(self) -> SigningIdentity:
        return identity_of(self.signer)

    @property
    def trust(self) -> TrustPolicy:
        return TrustPolicy([self.root.cert])


def identity_of(issued: devpki.Issued) -> SigningIdentity:
    return SigningIdentity(issued.key, issued.cert, issued.chain)


_PKIS: dict[str, Pki] = {}
_SIGNED: dict[str, bytes] = {}


def pki(kind: devpki.KeyKind = "rsa") -> Pki:
    """A root, an issuing CA under it and a signer under that, valid around :data:`NOW` (cached:
    the same objects for the whole test session)."""
    if kind not in _PKIS:
        root = devpki.make_root(NOW)
        issuing = devpki.make_intermediate(root, NOW)
        _PKIS[kind] = Pki(root, issuing, devpki.make_signer(issuing, NOW, kind=kind))
    return _PKIS[kind]


def unsigned() -> bytes:
    """The example edoc package of AXIS.md §15 (with its small PDF attachment)."""
    return EDOC_NEW


def sign(package: bytes, identity: SigningIdentity, *, subject_name: bool = True) -> bytes:
    out = io.BytesIO()
    sign_stream(io.BytesIO(package), out, identity, subject_name=subject_name)
    return out.getvalue()


def signed(kind: devpki.KeyKind = "rsa") -> bytes:
    """The example package signed by :func:`pki` ``(kind)``'s signer (cached)."""
    if kind not in _SIGNED:
        _SIGNED[kind] = sign(unsigned(), pki(kind).identity)
    return _SIGNED[kind]


def verify(
    package: bytes, policy: TrustPolicy | None = None, now: dt.datetime = NOW
) -> SignatureReport:
    return verify_stream(io.BytesIO(package), policy or pki().trust, now)


# --- forging signatures by hand ------------------------------------------------------------------


def document_digest(package: bytes, *, exclusive: bool, hash_name: str) -> bytes:
    """The enveloped-signature + C14N digest of ``package``, computed independently of sign()."""
    h = hashlib.new(hash_name)
    handler = ExcludeSubtree(Canonicalizer(h.update, exclusive=exclusive), is_header_signature)
    read_events(io.BytesIO(package), [handler])
    return h.digest()


def _raw_sign(identity: SigningIdentity, method: str, data: bytes) -> bytes:
    if method in ALLOWED_SIGNATURES:
        return sign_raw(identity.key, ALLOWED_SIGNATURES[method], data)
    assert method == RSA_SHA1 and isinstance(identity.key, rsa.RSAPrivateKey)
    return identity.key.sign(data, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def key_info_x509(identity: SigningIdentity) -> str:
    certs = [identity.certificate, *identity.chain]
    items = "".join(
        f"<X509Certificate>{_b64(c.public_bytes(Encoding.DER))}</X509Certificate>" for c in certs
    )
    return f"<KeyInfo><X509Data>{items}</X509Data></KeyInfo>"


def key_info_key_value(identity: SigningIdentity) -> str:
    public = identity.key.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    numbers = public.public_numbers()

    def b(n: int) -> str:
        return _b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))

    return (
        "<KeyInfo><KeyValue><RSAKeyValue>"
        f"<Modulus>{b(numbers.n)}</Modulus><Exponent>{b(numbers.e)}</Exponent>"
        "</RSAKeyValue></KeyValue></KeyInfo>"
    )


def forge(
    package: bytes,
    identity: SigningIdentity,
    *,
    uri: str = "",
    transforms: Sequence[str] = (ENVELOPED, EXC_C14N),
    digest_method: str = SHA256,
    signature_method: str | None = None,
    key_info: str | None = None,
    extra_reference: bool = False,
    extra_after_signed_info: str = "",
    namespace: str = DSIG_NS,
) -> bytes:
    """``package`` with a hand-written, correctly computed Signature placed as §3.5 says."""
    if signature_method is None:
        is_ec = isinstance(identity.key, ec.EllipticCurvePrivateKey)
        signature_method = "http://www.w3.org/2001/04/xmldsig-more#" + (
            "ecdsa-sha256" if is_ec else "rsa-sha256"
        )
    exclusive = C14N not in transforms
    digest = document_digest(package, exclusive=exclusive, hash_name=_HASHES[digest_method])
    reference = _reference(uri, transforms, digest_method, digest)
    if extra_reference:
        reference += _reference("", transforms, digest_method, digest)
    signed_info = (
        f'<SignedInfo xmlns="{namespace}">'
        f'<CanonicalizationMethod Algorithm="{EXC_C14N}"></CanonicalizationMethod>'
        f'<SignatureMethod Algorithm="{signature_method}"></SignatureMethod>'
        f"{reference}</SignedInfo>"
    )
    value = _raw_sign(identity, signature_method, canonicalize_fragment(signed_info.encode()))
    inner = signed_info.replace(f' xmlns="{namespace}"', "", 1)
    fragment = (
        f'<Signature xmlns="{namespace}">{inner}<SignatureValue>{_b64(value)}</SignatureValue>'
        f"{key_info if key_info is not None else key_info_x509(identity)}"
        f"{extra_after_signed_info}</Signature>"
    )
    return insert_in_header(package, fragment.encode())


def _reference(uri: str, transforms: Sequence[str], digest_method: str, digest: bytes) -> str:
    items = "".join(f'<Transform Algorithm="{t}"></Transform>' for t in transforms)
    return (
        f'<Reference URI="{uri}"><Transforms>{items}</Transforms>'
        f'<DigestMethod Algorithm="{digest_method}"></DigestMethod>'
        f"<DigestValue>{_b64(digest)}</DigestValue></Reference>"
    )


def insert_in_header(package: bytes, fragment: bytes) -> bytes:
    """Put ``fragment`` right before ``</edXML:edXMLHeader>``."""
    assert package.count(HEADER_END) == 1
    return package.replace(HEADER_END, fragment + HEADER_END)


# --- what the axis does in transit (AXIS.md §9) ---------------------------------------------


def axis_transit(
    package: bytes,
    *,
    renamespace: bool = True,
    trace: bool = True,
    reindent: bool = True,
    trace_organ_id: str = "001.00.20.TT2",
) -> bytes:
    """Re-serialise ``package`` as the live axis did: Signature into QCVN, TraceHeader appended,
    re-indented. Attachments keep their bytes (lxml copies the text as it is)."""
    root = etree.fromstring(package, etree.XMLParser(remove_blank_text=reindent))
    q = f"{{{QCVN_NS}}}"
    header = root.find(f"{q}edXMLEnvelope/{q}edXMLHeader")
    assert header is not None
    if trace:
        _append_trace(header, q, trace_organ_id)
    if renamespace:
        for sig in list(header.iter(f"{{{DSIG_NS}}}Signature")):
            _into_qcvn(sig, header, q)
    if reindent:
        etree.indent(root, space="  ")
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out


def _append_trace(header: etree._Element, q: str, organ_id: str) -> None:
    traces = header.find(f"{q}TraceHeaderList")
    assert traces is not None
    last = traces.findall(f"{q}TraceHeader")[-1]
    trace = etree.Element(f"{q}TraceHeader")
    etree.SubElement(trace, f"{q}OrganId").text = organ_id
    etree.SubElement(trace, f"{q}Timestamp").text = "2024/11/05 08:31:07"
    last.addnext(trace)


def _into_qcvn(sig: etree._Element, header: etree._Element, q: str) -> None:
    moved = etree.SubElement(header, f"{q}Signature", nsmap={None: QCVN_NS})
    _copy(sig, moved, q)
    header.remove(sig)


def _copy(src: etree._Element, dest: etree._Element, q: str) -> None:
    dest.text = src.text
    for name, value in src.attrib.items():
        dest.set(name, value)
    for child in src:
        tag = q + etree.QName(child).localname
        copy = etree.SubElement(dest, tag)
        copy.tail = child.tail
        _copy(child, copy, q)
