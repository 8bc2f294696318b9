"""Package files under ``<data-dir>/packages``: where the bytes a recipient will get are kept.

Packages up to the in-memory limit are appended to *segment* files (``seg-000001.dat``, …, each
up to 1 GiB): one open file, no file creation per package, which keeps ``sendEdoc`` fast even while
other processes on the machine flush their own files. Larger packages, which arrive spooled to
disk, get a file of their own. Either way a package is a (file, offset, length) triple, recorded in
the database only after its bytes are written, so a crash leaves at worst unreferenced bytes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SEGMENT_LIMIT = 1 << 30
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Location:
    """Where a package's bytes are: ``path`` relative to the data directory."""

    path: str
    offset: int
    length: int


class PackageFiles:
    """Appends packages to segment files; places large ones in files of their own."""

    def __init__(self, data_dir: Path, *, durable: bool = False) -> None:
        self.data_dir = data_dir
        self.root = data_dir / "packages"
        self.root.mkdir(parents=True, exist_ok=True)
        self.durable = durable
        self._lock = threading.Lock()
        self._segment: BinaryIO | None = None
        self._number = 0
        self._segment_name = ""

    def append(self, parts: Iterable[bytes | memoryview]) -> Location:
        """Write ``parts`` one after the other at the end of the current segment."""
        with self._lock:
            fh = self._current()
            offset = fh.tell()
            for part in parts:
                fh.write(part)
            length = fh.tell() - offset
            if self.durable:
                os.fsync(fh.fileno())
            return Location(self._segment_name, offset, length)

    def _current(self) -> BinaryIO:
        """The open segment; after a restart the last one is continued until it is full."""
        fh = self._segment
        if fh is not None and fh.tell() < SEGMENT_LIMIT:
            return fh
        if fh is not None:
            fh.close()
            number = self._number + 1
        else:
            numbers = [int(p.stem[4:]) for p in self.root.glob("seg-*.dat") if p.stem[4:].isdigit()]
            number = max(numbers, default=1)
        while True:
            name = f"seg-{number:06d}.dat"
            fh = open(self.root / name, "ab", buffering=0)  # noqa: SIM115 - kept open
            if fh.tell() < SEGMENT_LIMIT:
                break
            fh.close()
            number += 1
        if self.durable:
            _fsync_dir(self.root)
        self._segment, self._number, self._segment_name = fh, number, f"packages/{name}"
        return fh

    def place(self, source: Path, name: str) -> Location:
        """Move a finished file (same file system) to ``packages/<name>``."""
        dest = self.root / name
        if self.durable:
            _fsync_file(source)
        os.replace(source, dest)
        if self.durable:
            _fsync_dir(self.root)
        return Location(f"packages/{name}", 0, dest.stat().st_size)

    def write_file(self, name: str, head: bytes, source: BinaryIO, offset: int) -> Path:
        """A new file ``packages/<name>.part``: ``head`` then ``source`` from ``offset`` on."""
        tmp = self.root / f"{name}.part"
        with open(tmp, "wb") as out:
            out.write(head)
            source.seek(offset)
            while chunk := source.read(_COPY_CHUNK):
                out.write(chunk)
        return tmp

    def close(self) -> None:
        with self._lock:
            if self._segment is not None:
                self._segment.close()
                self._segment = None


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    _fsync_file(path)
