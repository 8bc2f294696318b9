"""Unwrap one-entry ZIP attachments (AXIS.md §3.4, receiver rule) without trusting the archive.

VNPT's Java library zips files whose extension is not in its list into a one-entry ZIP whose entry
is named ``<uuid>.<ext>``, and the axis passes such payloads through unchanged, sometimes labelled
``application/pdf``. A receiver unwraps when the decoded bytes start with ``PK\\x03\\x04``, the
archive has exactly one entry, and that entry is not itself a container (``.zip``, ``.docx``,
``.xlsx``, ``.pptx``, ``.odt``, ...). The delivered name is the *declared* attachment name's stem
plus the entry's extension (the entry's own name is a UUID).

Every archive inspected, even one delivered as it is, has its structure checked first
(:class:`~agent.errors.ZipStructureError`): entry count, local headers that agree with the central
directory, no overlapping entries (the "non-recursive zip bomb"), no data beyond the file, no
encryption. Decompression is our own stream (stored or deflate): output bytes are counted as they
come, never taken from headers, against a maximum size and a maximum expansion ratio
(:class:`~agent.errors.ZipBombError`), and the CRC and size are verified at the end.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from agent.core.edxml.b64 import Writable
from agent.core.edxml.names import safe_attachment_name, split_extension
from agent.errors import ZipBombError, ZipStructureError

ZIP_MAGIC = b"PK\x03\x04"
CONTAINER_EXTENSIONS = frozenset(
    ".zip .docx .xlsx .pptx .odt .ods .odp .odg .docm .xlsm .pptm .dotx .xltx .potx .jar .apk "
    ".epub .xps .oxps .kmz .7z .rar".split()
)
_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_LOCAL = struct.Struct("<4s5H3L2H")
_STORED, _DEFLATED = 0, 8
_HINT = "the ZIP attachment is malformed or crafted; it was not unpacked. Ask the sender."


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Bounds for ZIP inspection and unwrapping.

    * ``max_entries``: entries an archive may declare (1000);
    * ``max_output_bytes``: bytes one unwrapped entry may expand to (1 GiB);
    * ``max_ratio``: output / compressed input allowed once ``ratio_floor_bytes`` (1 MiB) have
      come out (200: PDFs compress about 1.1x, text documents about 10x);
    * ``chunk_size``: compressed bytes read at a time.
    """

    max_entries: int = 1000
    max_output_bytes: int = 1 << 30
    max_ratio: int = 200
    ratio_floor_bytes: int = 1 << 20
    chunk_size: int = 1 << 16


@dataclass(frozen=True, slots=True)
class ZipEntry:
    name: str
    method: int
    crc: int
    compressed_size: int
    size: int  # as declared: only ever used to refuse early and to cross-check
    header_offset: int
    data_offset: int


@dataclass(frozen=True, slots=True)
class Unwrapped:
    deliver_name: str
    entry_name: str
    size: int
    sha256: str


def is_zip(stream: BinaryIO) -> bool:
    """Whether ``stream`` starts (at offset 0) with a local file header."""
    stream.seek(0)
    return stream.read(4) == ZIP_MAGIC


def unwrap_attachment(
    stream: BinaryIO, declared_name: str, out: Writable, limits: ZipLimits | None = None
) -> Unwrapped | None:
    """Unwrap ``stream`` into ``out`` when §3.4 says so; ``None`` (nothing written) otherwise."""
    limits = limits or ZipLimits()
    entry = plan_unwrap(stream, limits)
    if entry is None:
        return None
    return unwrap(stream, entry, declared_name, out, limits)


def plan_unwrap(stream: BinaryIO, limits: ZipLimits | None = None) -> ZipEntry | None:
    """The entry to unwrap, or ``None``; raises for a malformed archive of any shape."""
    if not is_zip(stream):
        return None
    entries = inspect_zip(stream, limits or ZipLimits())
    if len(entries) != 1:
        return None
    entry = entries[0]
    _, ext = split_extension(_basename(entry.name))
    if entry.name.endswith(("/", "\\")) or ext.lower() in CONTAINER_EXTENSIONS:
        return None
    return entry


def deliver_name(declared_name: str, entry_name: str) -> str:
    """Declared stem + entry extension, made safe: ``CV.zip`` + ``9f..e1.pdf`` → ``CV.pdf``."""
    stem, _ = split_extension(declared_name.strip())
    entry = _basename(entry_name)
    return safe_attachment_name(stem + split_extension(entry)[1] if stem else entry)


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


# --- structure ------------------------------------------------------------------------------------


def inspect_zip(stream: BinaryIO, limits: ZipLimits) -> list[ZipEntry]:
    """Check the archive's structure; return its entries in central-directory order."""
    size = stream.seek(0, 2)
    cd_offset = _check_end_record(stream, size, limits)
    try:
        stream.seek(0)
        infos = zipfile.ZipFile(stream).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, struct.error, NotImplementedError) as exc:
        raise ZipStructureError(f"the ZIP archive cannot be read: {exc}", hint=_HINT) from exc
    entries = [_check_entry(stream, info, cd_offset) for info in infos]
    _check_overlaps(entries)
    return entries


def _check_end_record(stream: BinaryIO, size: int, limits: ZipLimits) -> int:
    """Read the end-of-central-directory record(s): entry count and central directory bounds."""
    tail_start = max(0, size - (_EOCD.size + 0xFFFF))
    stream.seek(tail_start)
    tail = stream.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        raise ZipStructureError(
            "the ZIP archive has no end-of-central-directory record", hint=_HINT
        )
    _, _, _, _, count, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, at)
    if count == 0xFFFF or cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
        count, cd_size, cd_offset = _zip64_end(stream, tail_start + at)
    if count > limits.max_entries:
        raise ZipStructureError(
            f"the ZIP archive declares {count} entries (limit {limits.max_entries})", hint=_HINT
        )
    if cd_offset + cd_size > size:
        raise ZipStructureError(
            "the ZIP central directory lies beyond the end of the file", hint=_HINT
        )
    return int(cd_offset)


def _zip64_end(stream: BinaryIO, eocd_at: int) -> tuple[int, int, int]:
    if eocd_at < _ZIP64_LOCATOR.size:
        raise ZipStructureError("the ZIP64 end record is missing", hint=_HINT)
    stream.seek(eocd_at - _ZIP64_LOCATOR.size)
    sig, _, record_at, _ = _ZIP64_LOCATOR.unpack(stream.read(_ZIP64_LOCATOR.size))
    stream.seek(record_at)
    raw = stream.read(_ZIP64_EOCD.size)
    if sig != b"PK\x06\x07" or len(raw) < _ZIP64_EOCD.size or raw[:4] != b"PK\x06\x06":
        raise ZipStructureError("the ZIP64 end record is damaged", hint=_HINT)
    fields = _ZIP64_EOCD.unpack(raw)
    return fields[6], fields[7], fields[8]


def _check_entry(stream: BinaryIO, info: zipfile.ZipInfo, cd_offset: int) -> ZipEntry:
    name = info.orig_filename
    if info.flag_bits & 0x1:
        raise ZipStructureError(f"the ZIP entry {name!r} is encrypted", hint=_HINT)
    stream.seek(info.header_offset)
    raw = stream.read(_LOCAL.size)
    if len(raw) < _LOCAL.size or raw[:4] != ZIP_MAGIC:
        raise ZipStructureError(f"the ZIP entry {name!r} has no local header", hint=_HINT)
    _, _, flags, method, _, _, crc, csize, usize, nlen, elen = _LOCAL.unpack(raw)
    local_name = stream.read(nlen)
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if local_name != name.encode(encoding, "replace") or method != info.compress_type:
        raise ZipStructureError(
            f"the ZIP entry {name!r}: local header and central directory disagree", hint=_HINT
        )
    if not flags & 0x8 and csize != 0xFFFFFFFF and (csize, crc) != (info.compress_size, info.CRC):
        raise ZipStructureError(
            f"the ZIP entry {name!r}: local header sizes or CRC disagree with the central "
            "directory",
            hint=_HINT,
        )
    data_offset = info.header_offset + _LOCAL.size + nlen + elen
    if data_offset + info.compress_size > cd_offset:
        raise ZipStructureError(
            f"the ZIP entry {name!r} has data beyond the end of the file", hint=_HINT
        )
    return ZipEntry(
        name, info.compress_type, info.CRC, info.compress_size, info.file_size,
        info.header_offset, data_offset,
    )


def _check_overlaps(entries: list[ZipEntry]) -> None:
    ordered = sorted(entries, key=lambda e: e.header_offset)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.data_offset + before.compressed_size > after.header_offset:
            raise ZipStructureError(
                f"the ZIP entries {before.name!r} and {after.name!r} overlap (a zip-bomb "
                "construction)",
                hint=_HINT,
            )


# --- decompression --------------------------------------------------------------------------------


def unwrap(
    stream: BinaryIO, entry: ZipEntry, declared_name: str, out: Writable, limits: ZipLimits
) -> Unwrapped:
    """Decompress ``entry`` into ``out``, counting real output; verify CRC and size at the end."""
    name = deliver_name(declared_name, entry.name)
    if entry.method not in (_STORED, _DEFLATED):
        raise ZipStructureError(
            f"the ZIP entry {entry.name!r} uses compression method {entry.method}; only stored "
            "and deflate are unpacked",
            hint=_HINT,
        )
    if entry.size > limits.max_output_bytes:
        raise _bomb(entry, entry.size, limits, "declares")
    inflater = _Inflater(entry, out, limits)
    stream.seek(entry.data_offset)
    remaining = entry.compressed_size
    while remaining:
        block = stream.read(min(limits.chunk_size, remaining))
        if not block:
            raise ZipStructureError(f"the ZIP entry {entry.name!r} is truncated", hint=_HINT)
        remaining -= len(block)
        inflater.feed(block)
    size, sha256 = inflater.finish()
    return Unwrapped(name, entry.name, size, sha256)


class _Inflater:
    def __init__(self, entry: ZipEntry, out: Writable, limits: ZipLimits) -> None:
        self.entry, self.out, self.limits = entry, out, limits
        self.zlib = zlib.decompressobj(-15) if entry.method == _DEFLATED else None
        self.consumed = self.produced = self.crc = 0
        self.sha = hashlib.sha256()

    def feed(self, block: bytes) -> None:
        if self.zlib is None:
            self.consumed += len(block)
            self._emit(block)
            return
        data = block
        while data and not self.zlib.eof:
            try:
                piece = self.zlib.decompress(data, self.limits.chunk_size)
            except zlib.error as exc:
                raise ZipStructureError(
                    f"the ZIP entry {self.entry.name!r} is not valid deflate data: {exc}",
                    hint=_HINT,
                ) from exc
            self.consumed += len(data) - len(self.zlib.unconsumed_tail)
            data = self.zlib.unconsumed_tail
            self._emit(piece)

    def _emit(self, piece: bytes) -> None:
        self.produced += len(piece)
        if self.produced > self.entry.size:
            raise ZipStructureError(
                f"the ZIP entry {self.entry.name!r} expands beyond the {self.entry.size} bytes "
                "its header declares",
                hint=_HINT,
            )
        if self.produced > self.limits.max_output_bytes:
            raise _bomb(self.entry, self.produced, self.limits, "expands to more than")
        floor = self.limits.ratio_floor_bytes
        if self.produced > floor and self.produced > self.limits.max_ratio * self.consumed:
            raise ZipBombError(
                f"the ZIP entry {self.entry.name!r} expands more than {self.limits.max_ratio} "
                f"times ({self.consumed} bytes gave {self.produced})",
                hint="this is how zip bombs work; it was not unpacked.",
            )
        self.crc = zlib.crc32(piece, self.crc)
        self.sha.update(piece)
        self.out.write(piece)

    def finish(self) -> tuple[int, str]:
        name = self.entry.name
        if self.zlib is not None and not self.zlib.eof:
            raise ZipStructureError(f"the ZIP entry {name!r} ends mid-stream", hint=_HINT)
        if self.produced != self.entry.size or self.crc != self.entry.crc:
            raise ZipStructureError(
                f"the ZIP entry {name!r} gave {self.produced} bytes with CRC {self.crc:08x}; "
                f"its header says {self.entry.size} bytes, CRC {self.entry.crc:08x}",
                hint=_HINT,
            )
        return self.produced, self.sha.hexdigest()


def _bomb(entry: ZipEntry, size: int, limits: ZipLimits, verb: str) -> ZipBombError:
    return ZipBombError(
        f"the ZIP entry {entry.name!r} {verb} {size} bytes (limit {limits.max_output_bytes})",
        hint="raise the unpacked size limit if this file is legitimate; it was not unpacked.",
    )
