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
import secrets
from collections.abc import Iterator
from functools import cached_property
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


class SpooledBody:
    """The stored package: ``data`` in memory, or the file ``path``.

    Digests of a package in memory are computed on first use (in the ingest worker thread, where
    hashing runs in parallel with the event loop); those of a spilled package were computed while
    it streamed in.
    """

    def __init__(
        self, *, data: bytes | None, path: Path | None, size: int, base64: bool,
        dropped: bytes, trailing: int, digests: tuple[bytes, bytes, bytes] | None,
        body_digest: bytes | None,
    ) -> None:
        self.data = data
        self.path = path
        self.size = size
        self.base64 = base64
        self._dropped = dropped  # the framing removed from the end of a raw body
        self._trailing = trailing  # trailing whitespace bytes kept at the end of the package
        self._digests = digests  # (package, without trailing whitespace, body), when spilled
        self._body_digest = body_digest  # of the base64 text, for a base64 body

    @cached_property
    def package_digest(self) -> bytes:
        if self._digests is not None:
            return self._digests[0]
        assert self.data is not None
        return hashlib.sha256(self.data).digest()

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the stored package."""
        return self.package_digest.hex()

    def _candidates(self) -> Iterator[bytes]:
        """Digests ``hash-file`` may match, cheapest first."""
        yield self.package_digest
        if self._digests is not None:
            yield from self._digests[1:]
        elif self._trailing:
            assert self.data is not None
            yield hashlib.sha256(self.data[: len(self.data) - self._trailing]).digest()
        if self._body_digest is not None:
            yield self._body_digest
        elif self._dropped and self.data is not None:
            yield hashlib.sha256(self.data + self._dropped).digest()

    def hash_matches(self, claimed: str) -> bool:
        return any(hash_file_matches(claimed, d) for d in self._candidates())

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return open(self.path, "rb")  # noqa: SIM115 - the caller closes it

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class _Sink:
    """Keeps what it is given (memory, then a file); holds back trailing whitespace.

    Hashes incrementally only once spilled to a file (a body in memory is hashed in one call
    later, off the event loop)."""

    def __init__(self, directory: Path, memory_limit: int) -> None:
        self.directory = directory
        self.memory_limit = memory_limit
        self.parts: list[bytes] = []
        self.fh: BinaryIO | None = None
        self.path: Path | None = None
        self.held = b""
        self.size = 0
        self.hash: hashlib._Hash | None = None

    def write(self, data: bytes) -> None:
        if self.held:
            data = self.held + data
        kept = data.rstrip(_WS)
        self.held = data[len(kept):]
        if kept:
            self._keep(kept)

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.fh is None and self.size > self.memory_limit:
            self._spill()
        if self.fh is not None:
            assert self.hash is not None
            self.hash.update(data)
            self.fh.write(data)
        else:
            self.parts.append(data)

    def _spill(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / f"{secrets.token_hex(12)}.part"
        self.fh = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        self.hash = hashlib.sha256()
        for part in self.parts:
            self.hash.update(part)
            self.fh.write(part)
        self.parts = []

    def finish(self, framing: bytes) -> tuple[bytes, tuple[bytes, bytes, bytes] | None]:
        """Keep the held whitespace minus ``framing``. Return what was dropped and, for a spilled
        body, the digests of the package, of it without trailing whitespace, and of the body."""
        kept = self.held.removesuffix(framing) if framing else self.held
        dropped, self.held = self.held[len(kept):], b""
        core = self.hash.digest() if self.hash is not None else None
        if kept:
            self._keep(kept)
        self.close()
        if self.hash is None or core is None:
            return dropped, None
        body = self.hash.copy()
        body.update(dropped)
        return dropped, (self.hash.digest(), core, body.digest())

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
        base64 = self._body_hash is not None
        trailing = len(sink.held)
        dropped, digests = sink.finish(b"" if base64 else b"\r\n")
        data = b"".join(sink.parts) if sink.path is None else None
        return SpooledBody(
            data=data, path=sink.path, size=sink.size, base64=base64, dropped=dropped,
            trailing=trailing - len(dropped), digests=digests,
            body_digest=self._body_hash.digest() if self._body_hash is not None else None,
        )

    def discard(self) -> None:
        self._sink.discard()


def _b64decode(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data, strict_mode=True)
    except binascii.Error as exc:
        raise BodyError(
            "the body is neither edXML (it does not start with '<') nor valid base64"
        ) from exc
