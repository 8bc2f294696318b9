"""Signing edXML packages with an enveloped XML signature (AXIS.md §3.5), streaming.

The signature covers the whole package (``Reference URI=""``) with the enveloped-signature and
Exclusive C14N transforms, SHA-256, and RSA or ECDSA with SHA-256 depending on the key. It sits
as the **last child of** ``edXML:edXMLHeader``, in the XMLDSig namespace, unprefixed::

    <Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>...</SignedInfo>
    <SignatureValue>...</SignatureValue><KeyInfo><X509Data>[<X509SubjectName>]
    <X509Certificate>leaf</X509Certificate><X509Certificate>issuer</X509Certificate>...

(one line, no whitespace inside: whitespace inside SignedInfo would be signed too.)

Two ways in:

* :func:`sign_stream` signs a finished package: pass 1 digests it (safe streaming reader →
  enveloped filter → exc-c14n → SHA-256) and finds ``</edXML:edXMLHeader>``; then the bytes are
  copied with the Signature inserted right before that end tag and nothing else changed.
  A package that already has a Signature is refused.
* :func:`sign_built` signs while building: ``write_package(stream, fragment)`` is called twice,
  once with a placeholder ``<Signature/>`` into a pipe read by the digester in this thread (no
  temporary file), once with the real fragment into the output. Because the placeholder is
  excluded by the enveloped-signature transform, whatever whitespace the builder puts around
  the fragment is the same in both builds, and the digest holds.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, cast

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from agent.core.c14n import Attrs, Canonicalizer, ExcludeSubtree, NsDecls
from agent.core.xmlstream import QName, read_events
from agent.errors import SigningError
from agent.signing.keys import SigningIdentity
from agent.signing.xmldsig_alg import (
    DSIG_NS,
    ENVELOPED,
    EXC_C14N,
    QCVN_NS,
    SHA256,
    sign_raw,
    signature_alg_for,
)
from agent.signing.xmldsig_facts import is_header_signature, is_signature

PLACEHOLDER = f'<Signature xmlns="{DSIG_NS}"/>'.encode()
PackageWriter = Callable[[BinaryIO, bytes], None]
_HEADER = ((QCVN_NS, "edXML"), (QCVN_NS, "edXMLEnvelope"), (QCVN_NS, "edXMLHeader"))
_SMALL_READ = 512  # read size until the header has ended (bounds the 1-byte window)
_LOOK_BACK = 1 << 14  # how far back from the end tag's '>' its '</' and indentation are sought
_PIPE_BUFFER = 1 << 20  # fewer, larger writes into the pipe: fewer thread switches


@dataclass(frozen=True)
class XmlSignature:
    """What was signed: for logs and ``edxml sign`` output (no key material)."""

    fragment: bytes
    digest_b64: str
    signature_method: str
    signer_subject: str


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def signed_info_xml(method_uri: str, digest: bytes) -> str:
    """SignedInfo, written directly in its canonical form (exc-c14n of it is the same bytes)."""
    return (
        f'<SignedInfo xmlns="{DSIG_NS}">'
        f'<CanonicalizationMethod Algorithm="{EXC_C14N}"></CanonicalizationMethod>'
        f'<SignatureMethod Algorithm="{method_uri}"></SignatureMethod>'
        '<Reference URI=""><Transforms>'
        f'<Transform Algorithm="{ENVELOPED}"></Transform>'
        f'<Transform Algorithm="{EXC_C14N}"></Transform>'
        f'</Transforms><DigestMethod Algorithm="{SHA256.uri}"></DigestMethod>'
        f"<DigestValue>{base64.b64encode(digest).decode()}</DigestValue>"
        "</Reference></SignedInfo>"
    )


def canonicalize_fragment(xml: bytes) -> bytes:
    """Exclusive C14N of a small self-contained fragment, through the same reader as packages."""
    out: list[bytes] = []
    read_events(io.BytesIO(xml), [Canonicalizer(out.append)])
    return b"".join(out)


def signature_fragment(
    identity: SigningIdentity,
    digest: bytes,
    *,
    subject_name: bool = True,
    now: dt.datetime | None = None,
) -> XmlSignature:
    """The complete ``<Signature>`` element for a package whose reference digest is ``digest``.

    With ``now``, a certificate not valid at that moment is refused (SigningError).
    """
    if now is not None:
        identity.check_usable(now)
    method = signature_alg_for(identity.key)
    signed_info = signed_info_xml(method.uri, digest)
    canonical = canonicalize_fragment(signed_info.encode())
    value = base64.b64encode(sign_raw(identity.key, method, canonical)).decode()
    certs = (identity.certificate, *identity.chain)
    subject = identity.certificate.subject.rfc4514_string()
    key_info = "".join(
        [
            "<KeyInfo><X509Data>",
            f"<X509SubjectName>{_escape(subject)}</X509SubjectName>" if subject_name else "",
            *(f"<X509Certificate>{_der_b64(c)}</X509Certificate>" for c in certs),
            "</X509Data></KeyInfo>",
        ]
    )
    inner = signed_info.replace(f' xmlns="{DSIG_NS}"', "", 1)
    fragment = (
        f'<Signature xmlns="{DSIG_NS}">{inner}<SignatureValue>{value}</SignatureValue>'
        f"{key_info}</Signature>"
    )
    return XmlSignature(
        fragment.encode(), base64.b64encode(digest).decode(), method.uri, subject
    )


def _der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


# --- pass 1: digest the package minus its (placeholder) Signature ------------------------------


class _Digester:
    """Exc-c14n + SHA-256 of the package minus the header Signature; checks the edXML frame."""

    def __init__(
        self, *, placeholder: bool, on_header_end: Callable[[], None] | None = None
    ) -> None:
        self._hash = hashlib.new(SHA256.name)
        self._filter = ExcludeSubtree(Canonicalizer(self._hash.update), is_header_signature)
        self._placeholder = placeholder
        self._on_header_end = on_header_end
        self._path: list[QName] = []
        self.signatures = 0
        self.header_seen = False
        self.header_ended = False

    def start(self, name: QName, attrs: Attrs, nsdecls: NsDecls) -> None:
        self._filter.start(name, attrs, nsdecls)
        self._path.append(name)
        frame = tuple((q.ns, q.local) for q in self._path)
        if len(frame) == 1 and frame[0] != _HEADER[0]:
            raise SigningError(
                f"not an edXML package: the root element is {name.clark}",
                hint="only edXML packages (QCVN 102:2016) can be signed here",
            )
        self.header_seen = self.header_seen or frame == _HEADER
        if is_signature(name):
            self.signatures += 1

    def end(self, name: QName) -> None:
        if len(self._path) == 3 and self.header_seen and not self.header_ended:
            self.header_ended = True
            if self._on_header_end is not None:
                self._on_header_end()
        self._filter.end(name)
        self._path.pop()

    def text(self, data: str) -> None:
        self._filter.text(data)

    def comment(self, data: str) -> None:
        """Comments are outside the signed form."""

    def pi(self, target: str, data: str) -> None:
        self._filter.pi(target, data)

    def digest(self) -> bytes:
        expected = 1 if self._placeholder else 0
        if not self.header_seen:
            raise SigningError("not an edXML package: it has no edXML:edXMLHeader")
        if self.signatures > expected:
            raise SigningError(
                "the package already carries a Signature; refusing to sign it again",
                hint="sign the unsigned package, or remove the old signature first",
            )
        if self.signatures < expected:
            raise SigningError("the package writer did not place the Signature in edXMLHeader")
        return self._hash.digest()


class _Reads(io.RawIOBase):
    """Reads ``src``, at most ``limit(position)`` bytes at a time when that is positive."""

    def __init__(self, src: BinaryIO, limit: Callable[[int], int]) -> None:
        self._src = src
        self._limit = limit
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        limit = self._limit(self.consumed)
        if limit > 0:
            n = limit if n < 0 else min(n, limit)
        data = self._src.read(n)
        self.consumed += len(data)
        return data


class _Located(Exception):  # noqa: N818 - control flow inside this module, never escapes it
    """Raised from the reader's callback to stop reading where the header ends."""


def _read(reads: _Reads, handler: _Digester) -> None:
    read_events(cast(BinaryIO, reads), [handler])


def _digest_and_locate(src: BinaryIO) -> tuple[bytes, int]:
    """Pass 1: the digest, and how many bytes had been read when the header ended.

    Until the header ends, reads are small: the end tag then lies in the last read.
    """
    marks: list[int] = []
    digester = _Digester(placeholder=False, on_header_end=lambda: marks.append(reads.consumed))
    reads = _Reads(src, lambda _: 0 if digester.header_ended else _SMALL_READ)
    _read(reads, digester)
    digest = digester.digest()
    if not marks:
        raise SigningError("not an edXML package: edXML:edXMLHeader never ends")
    return digest, marks[0]


def _insertion_offset(src: BinaryIO, start: int, around: int) -> int:
    """Pass 2: where the Signature goes: before ``</…edXMLHeader>`` and the indentation before it.

    The end tag's ``>`` is in the last small read of pass 1. The reader is fed one byte at a time in
    that window, so when the end event fires the last byte read is that ``>``; the tag starts at
    the ``</`` before it. The same place as :func:`agent.core.edxml.build_edoc` puts it.
    """
    window = max(0, around - _SMALL_READ)
    reads = _Reads(src, lambda pos: 1 if pos >= window else min(_SMALL_READ, window - pos))

    def stop() -> None:
        raise _Located

    src.seek(start)
    try:
        _read(reads, _Digester(placeholder=False, on_header_end=stop))
    except _Located:
        end = start + reads.consumed
        src.seek(max(start, end - _LOOK_BACK))
        before = src.read(end - src.tell())
        tag = before.rfind(b"</")
        if tag < 0:
            raise SigningError("the edXMLHeader end tag is malformed") from None
        # Go back over the indentation, to right after the previous element (as the builder does).
        return end - len(before) + len(before[:tag].rstrip(b" \t\r\n"))
    raise SigningError("the end of edXML:edXMLHeader was not found")


def sign_stream(
    src: BinaryIO,
    dst: BinaryIO,
    identity: SigningIdentity,
    *,
    subject_name: bool = True,
    now: dt.datetime | None = None,
) -> XmlSignature:
    """Sign the finished package ``src`` (seekable) into ``dst``, inserting only the Signature."""
    start = src.tell()
    if now is not None:
        identity.check_usable(now)
    digest, around = _digest_and_locate(src)
    signature = signature_fragment(identity, digest, subject_name=subject_name)
    offset = _insertion_offset(src, start, around)
    src.seek(start)
    _copy(src, dst, offset - start)
    dst.write(signature.fragment)
    shutil.copyfileobj(src, dst, 1 << 20)
    return signature


def _copy(src: BinaryIO, dst: BinaryIO, size: int) -> None:
    while size > 0:
        block = src.read(min(size, 1 << 20))
        if not block:
            raise SigningError("the package changed while it was being signed")
        dst.write(block)
        size -= len(block)


# --- signing while building -----------------------------------------------------------------


def sign_built(
    write_package: PackageWriter,
    out: BinaryIO,
    identity: SigningIdentity,
    *,
    subject_name: bool = True,
    now: dt.datetime | None = None,
) -> XmlSignature:
    """Build twice: once through a pipe into the digester, once into ``out`` with the Signature.

    ``write_package(stream, fragment)`` must write the whole package to ``stream`` with
    ``fragment`` as the last child of ``edXML:edXMLHeader``, identically both times.
    """
    if now is not None:
        identity.check_usable(now)
    digest = digest_built(write_package)
    signature = signature_fragment(identity, digest, subject_name=subject_name)
    write_package(out, signature.fragment)
    return signature


def digest_built(write_package: PackageWriter) -> bytes:
    """The reference digest of what ``write_package`` writes, with no temporary file."""
    read_fd, write_fd = os.pipe()
    failures: list[BaseException] = []

    def produce() -> None:
        try:
            with open(write_fd, "wb", buffering=_PIPE_BUFFER) as sink:
                write_package(sink, PLACEHOLDER)
        except BaseException as exc:  # noqa: BLE001 - handed over to the reading thread
            failures.append(exc)

    thread = threading.Thread(target=produce, name="xmldsig-digest-build", daemon=True)
    digester = _Digester(placeholder=True)
    source = open(read_fd, "rb")  # noqa: SIM115 - closed below, before joining the writer
    thread.start()
    try:
        read_events(source, [digester])
    finally:
        source.close()  # a writer still writing now gets BrokenPipeError and stops
        thread.join()
        _raise_writer_failure(failures)
    return digester.digest()


def _raise_writer_failure(failures: Sequence[BaseException]) -> None:
    if failures and not isinstance(failures[0], BrokenPipeError):
        raise failures[0]
