"""Small stream helpers: a package file watched while it is uploaded, a size-capped sink."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from agent.errors import LimitExceededError


class WatchedStream(io.RawIOBase):
    """A seekable read-only view of ``raw`` that calls ``halfway()`` once the second pass
    (the axis client hashes the package, seeks back, then uploads it) has read half the bytes:
    the ``during-upload`` crash point sits in the middle of the request body."""

    def __init__(self, raw: BinaryIO, halfway: Callable[[], None]) -> None:
        super().__init__()
        self._raw = raw
        self._halfway = halfway
        self._passes = 1  # the first pass starts here; each seek back to 0 starts another
        self._read = 0
        self._size = raw.seek(0, io.SEEK_END)
        raw.seek(0)
        self._fired = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._raw.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._raw.seek(offset, whence)
        if position == 0:
            self._passes += 1
            self._read = 0
        return position

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._read += len(data)
        if self._passes >= 2 and not self._fired and self._read * 2 >= self._size:
            self._fired = True
            self._halfway()
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class CappedSink:
    """Writes to ``out`` and refuses to grow beyond ``limit`` bytes (a fetched package)."""

    def __init__(self, out: BinaryIO, limit: int) -> None:
        self._out = out
        self._limit = limit
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self._limit:
            raise LimitExceededError(
                f"the package is larger than limits.max_package_bytes ({self._limit} bytes)",
                hint="raise limits.max_package_bytes if such packages are expected")
        return self._out.write(data)
