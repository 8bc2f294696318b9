"""The §3.4 one-entry ZIP rule: unwrap what VNPT's library wrapped, refuse crafted archives."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib

import pytest

from agent.core.edxml.zipwrap import ZipLimits, deliver_name, unwrap_attachment
from agent.errors import UnsafeAttachmentNameError, ZipBombError, ZipStructureError

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def _zip(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def _local(name: bytes, data: bytes, flags: int = 0, crc: int | None = None,
           size: int | None = None) -> bytes:
    crc = zlib.crc32(data) if crc is None else crc
    size = len(data) if size is None else size
    return struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 0, 0, 0, crc, size, size,
                       len(name), 0) + name + data


def _central(name: bytes, offset: int, size: int, crc: int, flags: int = 0) -> bytes:
    return struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 0, 0, 0, crc, size, size,
                       len(name), 0, 0, 0, 0, 0, offset) + name


def _end(count: int, cd_size: int, cd_offset: int) -> bytes:
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, cd_size, cd_offset, 0)


def _stored_archive(locals_: list[bytes], centrals: list[bytes]) -> bytes:
    body = b"".join(locals_)
    cd = b"".join(centrals)
    return body + cd + _end(len(centrals), len(cd), len(body))


def _unwrap(data: bytes, declared: str = "CV 412.zip",
            limits: ZipLimits | None = None) -> tuple[object, bytes]:
    out = io.BytesIO()
    result = unwrap_attachment(io.BytesIO(data), declared, out, limits)
    return result, out.getvalue()


# --- what is unwrapped, and under which name -----------------------------------------------------


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_one_entry_zip_is_unwrapped_under_the_declared_stem(method: int) -> None:
    """VNPT's wrapping: entry '<uuid>.pdf' inside 'CV 412.zip' → 'CV 412.pdf', same bytes."""
    result, data = _unwrap(_zip([("3f6d2a8e-7c41.pdf", PDF)], method))
    assert (PDF, "CV 412.pdf", len(PDF), hashlib.sha256(PDF).hexdigest()) == (
        data, result.deliver_name, result.size, result.sha256)


def test_zip_labelled_pdf_is_unwrapped_too() -> None:
    """The live axis delivered a zipped PDF named and labelled as a PDF (§3.4)."""
    result, data = _unwrap(_zip([("9a.pdf", PDF)]), declared="Quyết định.pdf")
    assert ("Quyết định.pdf", PDF) == (result.deliver_name, data)


def test_archives_written_with_data_descriptors_unwrap() -> None:
    """Streaming writers set flag bit 3 and zero the local sizes; the central directory rules."""

    class _Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.buffer = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            self.buffer += b
            return len(b)

    sink = _Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.pdf", PDF)
    result, data = _unwrap(bytes(sink.buffer))
    assert (PDF, "CV 412.pdf") == (data, result.deliver_name)


@pytest.mark.parametrize(
    "data",
    [
        PDF,
        _zip([("a.pdf", PDF), ("b.pdf", PDF)]),
        _zip([("inner.zip", _zip([("a.pdf", PDF)]))]),
        _zip([("bao-cao.DOCX", b"PK...")]),
        _zip([("x.odt", b"")]),
        _zip([("folder/", b"")]),
    ],
    ids=["not-zip", "two-entries", "zip-in-zip", "docx", "odt", "directory"],
)
def test_not_eligible_archives_are_delivered_as_they_are(data: bytes) -> None:
    """None and nothing written: not a ZIP, several entries, or a container inside."""
    assert (None, b"") == _unwrap(data)


@pytest.mark.parametrize(
    ("declared", "entry", "expected"),
    [
        ("CV 412.zip", "3f6d.pdf", "CV 412.pdf"),
        ("CV.412.zip", "dir/3f6d.xlsx.pdf", "CV.412.pdf"),
        ("CV 412", "3f6d.doc", "CV 412.doc"),
        ("CV 412.zip", "3f6d", "CV 412"),
        ("", "3f6d.pdf", "3f6d.pdf"),
    ],
)
def test_deliver_name_is_declared_stem_plus_entry_extension(
    declared: str, entry: str, expected: str
) -> None:
    """The entry's own name is a UUID: only its extension is kept."""
    assert expected == deliver_name(declared, entry)


def test_hostile_declared_name_is_refused_when_unwrapping() -> None:
    """The delivered name goes through the name policy."""
    with pytest.raises(UnsafeAttachmentNameError):
        _unwrap(_zip([("x.pdf", PDF)]), declared="../../x.zip")


# --- bombs ---------------------------------------------------------------------------------------


def test_expansion_ratio_bomb_is_stopped_early() -> None:
    """8 MiB of zeros in ~8 KiB: refused once 1 MiB came out at >200x, not after 8 MiB."""
    bomb = _zip([("a.pdf", bytes(8 << 20))])
    out = io.BytesIO()
    with pytest.raises(ZipBombError, match="expands more than 200 times"):
        unwrap_attachment(io.BytesIO(bomb), "x.zip", out)
    assert len(out.getvalue()) <= (1 << 20) + (1 << 16)


def test_declared_size_over_the_limit_is_refused_before_decompressing() -> None:
    """A header announcing more than max_output_bytes is refused at once."""
    with pytest.raises(ZipBombError, match="declares 2097152 bytes"):
        _unwrap(_zip([("a.pdf", bytes(2 << 20))]), limits=ZipLimits(max_output_bytes=1 << 20))


def test_real_output_beyond_the_declared_size_is_refused() -> None:
    """Header sizes are never trusted: more output than declared stops the stream."""
    data = bytes(100_000)
    deflated = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = deflated.compress(data) + deflated.flush()
    crc = zlib.crc32(data)
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(packed), 10, 5, 0)
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(packed), 10,
                          5, 0, 0, 0, 0, 0, 0)
    body = local + b"a.pdf" + packed
    archive = body + central + b"a.pdf" + _end(1, 46 + 5, len(body))
    with pytest.raises(ZipStructureError, match="expands beyond the 10 bytes its header declares"):
        _unwrap(archive)


# --- structure of any archive inspected ----------------------------------------------------------


def _overlapping() -> bytes:
    """Fifield's construction: entry a's data contains entry b's local header and data."""
    inner = _local(b"b.pdf", PDF)
    outer = _local(b"a.pdf", inner)
    return _stored_archive(
        [outer],
        [_central(b"a.pdf", 0, len(inner), zlib.crc32(inner)),
         _central(b"b.pdf", 30 + 5, len(PDF), zlib.crc32(PDF))],
    )


def _renamed_local() -> bytes:
    data = bytearray(_zip([("a.pdf", PDF)]))
    data[30:35] = b"b.pdf"  # the local header's name only
    return bytes(data)


def _beyond() -> bytes:
    local = _local(b"a.pdf", PDF, size=len(PDF) + 1000)
    return _stored_archive([local], [_central(b"a.pdf", 0, len(PDF) + 1000, zlib.crc32(PDF))])


def _encrypted(multi: bool) -> bytes:
    entries = [(b"a.pdf", 0)] + ([(b"b.pdf", 1)] if multi else [])
    locals_, centrals, offset = [], [], 0
    for name, _ in entries:
        local = _local(name, PDF, flags=1)
        centrals.append(_central(name, offset, len(PDF), zlib.crc32(PDF), flags=1))
        locals_.append(local)
        offset += len(local)
    return _stored_archive(locals_, centrals)


def _bad_crc() -> bytes:
    local = _local(b"a.pdf", PDF, crc=zlib.crc32(PDF) ^ 1)
    return _stored_archive([local], [_central(b"a.pdf", 0, len(PDF), zlib.crc32(PDF) ^ 1)])


def _bad_deflate() -> bytes:
    data = bytearray(_zip([("a.pdf", PDF)]))
    data[35] = 0xFF  # first deflate block: final, type 3 (reserved)
    return bytes(data)


STRUCTURE = [
    ("overlapping-entries", _overlapping(), "overlap"),
    ("local-header-disagrees", _renamed_local(), "local header and central directory disagree"),
    ("data-beyond-file", _beyond(), "data beyond the end of the file"),
    ("encrypted", _encrypted(False), "is encrypted"),
    ("encrypted-multi-entry", _encrypted(True), "is encrypted"),
    ("bad-crc", _bad_crc(), "its header says"),
    ("bad-deflate", _bad_deflate(), "not valid deflate data"),
    ("truncated", _zip([("a.pdf", PDF)])[:-30], "no end-of-central-directory record"),
    ("too-many-entries", _zip([(f"{i}.pdf", b"x") for i in range(1001)]), "declares 1001 entries"),
    ("bzip2", _zip([("a.pdf", PDF)], zipfile.ZIP_BZIP2), "compression method 12"),
    ("magic-only", b"PK\x03\x04garbage", "no end-of-central-directory record"),
]


@pytest.mark.parametrize(("data", "message"), [s[1:] for s in STRUCTURE],
                         ids=[s[0] for s in STRUCTURE])
def test_crafted_archives_are_refused_as_structure_errors(data: bytes, message: str) -> None:
    """Checked for any PK archive, even ones that would be delivered as they are."""
    with pytest.raises(ZipStructureError) as caught:
        _unwrap(data)
    assert message in caught.value.message
