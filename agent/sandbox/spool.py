"""Take in a ``sendEdoc`` body chunk by chunk, in memory while small, on disk once large.

The body is raw edXML plus the SDK's trailing CRLF, or (Quảng Nam LGSP extension, AXIS.md §5.3)
the base64 text of the package. The first byte after an optional BOM and whitespace decides: ``<``
means raw, anything else base64. Trailing whitespace is held back chunk by chunk so that, at the
end, exactly the framing can be dropped: one final CRLF of a raw body. The stored package is then
the file the client sent, byte for byte (a file that itself ends with a newline keeps it).

Bodies up to ``memory_limit`` stay in memory (one copy, no file until the package is stored);
beyond it they spill to a file under the data directory, so a 500 MB package costs constant memory.

``hash-file`` may match the stored package, the package without any trailing whitespace, or the
body exactly as received (the base64 text, for a base64 body); each in zero-padded hex or in the
SDK's unpadded form.
"""

from __future__ import annotations

import binascii
import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from agent.core.xroad import hash_file_matches
from agent.errors import ProtocolError

_WS = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"
DEFAULT_MEMORY_LIMIT = 8 * 1024 * 1024


class BodyError(ProtocolError):
    """The body cannot be a package: empty, too large, or broken base64."""

    code = "sandbox.body"


@dataclass(frozen=True, slots=True)
class SpooledBody:
    """The stored package: ``data`` in memory, or the file ``path``."""

    data: bytes | None
    path: Path | None
    size: int
    sha256: str  # of the stored package
    base64: bool
    digests: tuple[bytes, ...]  # every digest hash-file may match

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return open(self.path, "rb")  # noqa: SIM115 - the caller closes it

    def hash_matches(self, claimed: str) -> bool:
        return any(hash_file_matches(claimed, d) for d in self.digests)

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class _Sink:
    """Keeps what it is given (memory, then a file), hashing it; holds back trailing whitespace."""

    def __init__(self, directory: Path, memory_limit: int) -> None:
        self.directory = directory
        self.memory_limit = memory_limit
        self.parts: list[bytes] = []
        self.fh: BinaryIO | None = None
        self.path: Path | None = None
        self.held = b""
        self.size = 0
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        if self.held:
            data = self.held + data
        kept = data.rstrip(_WS)
        self.held = data[len(kept):]
        if not kept:
            return
        self.hash.update(kept)
        self.size += len(kept)
        if self.fh is None and self.size > self.memory_limit:
            self._spill()
        if self.fh is not None:
            self.fh.write(kept)
        else:
            self.parts.append(kept)

    def _spill(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / f"{secrets.token_hex(12)}.part"
        self.fh = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        for part in self.parts:
            self.fh.write(part)
        self.parts = []

    def flush_held(self, framing: bytes) -> None:
        """Keep the held trailing whitespace, minus ``framing`` when it ends with it."""
        held, self.held = self.held.removesuffix(framing) if framing else self.held, b""
        if held:
            self.hash.update(held)
            self.size += len(held)
            if self.fh is not None:
                self.fh.write(held)
            else:
                self.parts.append(held)

    def close(self) -> None:
        if self.fh is not None and not self.fh.closed:
            self.fh.close()

    def discard(self) -> None:
        self.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class Spool:
    """Receives the body in chunks (``feed``), then ``finish`` returns the stored package."""

    def __init__(self, directory: Path, *, max_bytes: int | None = None,
                 memory_limit: int = DEFAULT_MEMORY_LIMIT) -> None:
        self._sink = _Sink(directory, memory_limit)
        self._body_hash: hashlib._Hash | None = None  # base64 bodies only
        self._received = 0
        self._max = max_bytes
        self._mode: str | None = None  # None until the first significant byte, then raw/base64
        self._lead = b""
        self._b64_rest = b""

    def feed(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._max is not None and self._received > self._max:
            raise BodyError(f"the package is larger than the {self._max} byte limit")
        if self._mode is None:
            chunk = self._detect(chunk)
        if self._mode == "raw":
            self._sink.write(chunk)
        elif self._mode == "base64":
            assert self._body_hash is not None
            self._body_hash.update(chunk)
            self._feed_base64(chunk)

    def _detect(self, chunk: bytes) -> bytes:
        self._lead += chunk
        rest = self._lead
        while rest.startswith(_BOM) or rest[:1] in (b" ", b"\t", b"\r", b"\n"):
            rest = rest[3:] if rest.startswith(_BOM) else rest[1:]
        if not rest:
            return b""
        lead, self._lead = self._lead, b""
        if rest[:1] == b"<":
            self._mode = "raw"
            return lead
        self._mode = "base64"
        self._body_hash = hashlib.sha256(lead[: len(lead) - len(rest)])
        return rest

    def _feed_base64(self, chunk: bytes) -> None:
        text = self._b64_rest + chunk.translate(None, _WS)
        cut = len(text) - len(text) % 4
        self._b64_rest = text[cut:]
        if cut:
            self._sink.write(_b64decode(text[:cut]))

    def finish(self) -> SpooledBody:
        """The stored package; raise :class:`BodyError` when there is none."""
        sink = self._sink
        if self._mode == "base64" and self._b64_rest:
            sink.discard()
            raise BodyError("the base64 body has a truncated last group")
        if sink.size == 0:
            sink.discard()
            raise BodyError("the request body is empty: sendEdoc carries the package")
        digests = self._digests()
        sink.flush_held(b"" if self._body_hash is not None else b"\r\n")
        sink.close()
        return SpooledBody(
            b"".join(sink.parts) if sink.path is None else None, sink.path, sink.size,
            sink.hash.hexdigest(), self._mode == "base64", digests,
        )

    def _digests(self) -> tuple[bytes, ...]:
        """Digests of: the package, the package without trailing whitespace, the body."""
        sink = self._sink
        core = sink.hash.digest()
        if self._body_hash is not None:  # base64: the decoded file, and the text as sent
            full = sink.hash.copy()
            full.update(sink.held)
            return full.digest(), core, self._body_hash.digest()
        package, body = sink.hash.copy(), sink.hash.copy()
        package.update(sink.held.removesuffix(b"\r\n"))
        body.update(sink.held)
        return package.digest(), core, body.digest()

    def discard(self) -> None:
        self._sink.discard()


def _b64decode(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data, strict_mode=True)
    except binascii.Error as exc:
        raise BodyError(
            "the body is neither edXML (it does not start with '<') nor valid base64"
        ) from exc


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (the ``--durable`` mode)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
