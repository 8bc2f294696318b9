"""Real PDFs for tests and benchmarks, written by hand: no external tools, no fixtures on disk.

:func:`write_pdf` streams a PDF of any size to a binary stream without holding it in memory: each
page carries a line of text and, optionally, a grey "scanned page" image of incompressible bytes, so
a 500-page, 500 MB file behaves like a real scan. :func:`make_pdf` returns small PDFs as bytes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import random
from collections.abc import Sequence
from typing import Any, BinaryIO

from cryptography import x509

A4 = (595, 842)
_IMAGE_WIDTH = 1024
_CHUNK = 1 << 20


class _CountingWriter:
    """Writes to a stream and remembers the offset of each PDF object."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.position = 0
        self.offsets: dict[int, int] = {}

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)

    def obj(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.position
        self.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    def stream_obj(
        self, number: int, header: bytes, chunks: list[bytes] | None, length: int
    ) -> None:
        self.offsets[number] = self.position
        self.write(b"%d 0 obj\n<< %s /Length %d >>\nstream\n" % (number, header, length))
        for chunk in chunks or []:
            self.write(chunk)
        self.write(b"\nendstream\nendobj\n")


def _pdf_text(text: str) -> bytes:
    ascii_text = text.encode("ascii", "replace")
    return ascii_text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _page_objects(index: int) -> tuple[int, int, int]:
    base = 5 + 3 * index
    return base, base + 1, base + 2  # page, contents, image


def write_pdf(
    out: BinaryIO,
    *,
    pages: int = 1,
    image_bytes_per_page: int = 0,
    text: str = "Van ban thu nghiem",
    seed: int = 0,
) -> int:
    """Write a PDF with ``pages`` pages to ``out``; return the number of bytes written."""
    w = _CountingWriter(out)
    w.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    kids = b" ".join(b"%d 0 R" % _page_objects(i)[0] for i in range(pages))
    w.obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    w.obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    w.obj(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    w.obj(4, b"<< /Producer (lienthong-agent tests) /Title (%s) >>" % _pdf_text(text))
    rng = random.Random(seed)
    for index in range(pages):
        _write_page(w, index, f"{text} - trang {index + 1}", image_bytes_per_page, rng)
    return _write_xref(w, size=5 + 3 * pages, seed=seed)


def _write_page(
    w: _CountingWriter, index: int, line: str, image_bytes: int, rng: random.Random
) -> None:
    page, contents, image = _page_objects(index)
    has_image = image_bytes > 0
    xobject = b"/XObject << /Im0 %d 0 R >>" % image if has_image else b""
    w.obj(
        page,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
        b"/Resources << /Font << /F1 3 0 R >> %s >> /Contents %d 0 R >>" % (*A4, xobject, contents),
    )
    draw = b"q 495 0 0 700 50 60 cm /Im0 Do Q " if has_image else b""
    content = draw + b"BT /F1 16 Tf 50 800 Td (%s) Tj ET" % _pdf_text(line)
    w.stream_obj(contents, b"", [content], len(content))
    if has_image:
        _write_image(w, image, image_bytes, rng)
    else:
        w.obj(image, b"null")


def _write_image(w: _CountingWriter, number: int, size: int, rng: random.Random) -> None:
    height = max(1, size // _IMAGE_WIDTH)
    length = _IMAGE_WIDTH * height
    header = (
        b"/Type /XObject /Subtype /Image /Width %d /Height %d "
        b"/ColorSpace /DeviceGray /BitsPerComponent 8" % (_IMAGE_WIDTH, height)
    )
    w.offsets[number] = w.position
    w.write(b"%d 0 obj\n<< %s /Length %d >>\nstream\n" % (number, header, length))
    remaining = length
    while remaining:
        chunk = min(remaining, _CHUNK)
        w.write(rng.randbytes(chunk))
        remaining -= chunk
    w.write(b"\nendstream\nendobj\n")


def _write_xref(w: _CountingWriter, *, size: int, seed: int) -> int:
    start = w.position
    lines = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
    lines += [b"%010d 00000 n \n" % w.offsets[n] for n in range(1, size)]
    doc_id = random.Random(seed).randbytes(16).hex().encode()
    lines.append(
        b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R /ID [<%s> <%s>] >>\n"
        % (size, doc_id, doc_id)
    )
    lines.append(b"startxref\n%d\n%%%%EOF\n" % start)
    for line in lines:
        w.write(line)
    return w.position


def make_pdf(
    *,
    pages: int = 1,
    image_bytes_per_page: int = 0,
    text: str = "Van ban thu nghiem",
    seed: int = 0,
) -> bytes:
    """A PDF as bytes (keep it small: it lives in memory)."""
    buffer = io.BytesIO()
    write_pdf(buffer, pages=pages, image_bytes_per_page=image_bytes_per_page, text=text, seed=seed)
    return buffer.getvalue()


def make_pdf_of_size(out: BinaryIO, size: int, *, page_bytes: int = 1 << 20) -> int:
    """Stream a PDF of roughly ``size`` bytes made of ~``page_bytes`` scanned pages."""
    pages = max(1, size // page_bytes)
    per_page = max(0, size // pages - 600)
    return write_pdf(out, pages=pages, image_bytes_per_page=per_page)


def make_encrypted_pdf(user_password: str = "", owner_password: str = "owner-secret") -> bytes:
    """A password-protected (AES-256) copy of a small PDF, encrypted with pyHanko's writer."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(make_pdf())))
    writer.encrypt(owner_password, user_password)  # type: ignore[no-untyped-call]
    buffer = io.BytesIO()
    writer.write(buffer)  # type: ignore[no-untyped-call]
    return buffer.getvalue()


def break_xref(pdf: bytes) -> bytes:
    """The same PDF with its last ``startxref`` pointing into the middle of nowhere."""
    head, sep, tail = pdf.rpartition(b"startxref\n")
    offset, _, rest = tail.partition(b"\n")
    return head + sep + str(int(offset) // 2 + 3).encode() + b"\n" + rest


def replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    """Replace exactly one occurrence (same length), for tampering tests."""
    assert len(old) == len(new) and data.count(old) == 1, "tamper target must be unique"
    return data.replace(old, new)


def sign_like_other_software(
    pdf: bytes,
    key: Any,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    *,
    when: dt.datetime,
    field_name: str = "CompetentPerson",
    pades: bool = False,
    md_algorithm: str = "sha256",
    certify_no_changes: bool = False,
) -> bytes:
    """Sign ``pdf`` with pyHanko's own SimpleSigner, independently of agent.signing.

    Stands in for the competent person's signing tool: by default an ``adbe.pkcs7.detached``
    signature whose CMS carries a signingTime attribute (``when``); any certificate, even an
    expired or wrong-profile one, is accepted so that verification can be tested against it.
    """
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def asn1(c: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))

    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([asn1(c) for c in chain]),  # type: ignore[no-untyped-call]
    )
    subfilter = (
        fields.SigSeedSubFilter.PADES if pades else fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=md_algorithm,
        subfilter=subfilter,
        certify=certify_no_changes,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    pdf_signer = signers.PdfSigner(meta, signer)

    async def run() -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        session = pdf_signer.init_signing_session(writer)
        session.system_time = when
        reserved = await session.estimate_signature_container_size(None)
        tbs = session.prepare_tbs_document(validation_info=None, bytes_reserved=reserved)
        buffer = io.BytesIO()
        prepared, out = tbs.digest_tbs_document(output=buffer)
        post = await tbs.perform_signature(
            document_digest=prepared.document_digest,
            pdf_cms_signed_attrs=PdfCMSSignedAttributes(signing_time=when),
        )
        await post.post_signature_processing(out)
        return buffer.getvalue()

    return asyncio.run(run())


def append_page_content(pdf: bytes, content: bytes, page: int = 0) -> bytes:
    """An incremental update that draws ``content`` on ``page``: a change no signature allows."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    stream_ref = writer.add_object(generic.StreamObject(stream_data=content))
    writer.add_stream_to_page(page, stream_ref)  # type: ignore[no-untyped-call]
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()
