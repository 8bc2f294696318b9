"""Stream a ``sendEdoc`` body to a file, in constant memory, whatever its size.

The body is raw edXML plus the SDK's trailing CRLF, or (Quảng Nam LGSP extension, AXIS.md §5.3)
the base64 text of the package. The first byte after an optional BOM and whitespace decides: ``<``
means raw, anything else base64. Trailing whitespace is held back chunk by chunk and dropped at the
end, so the stored package is the body without its framing.

``hash-file`` may be checked against the stored package, the body exactly as received or, for a
base64 body, the decoded package; each in the usual zero-padded hex or in the SDK's unpadded form
(each byte hex-encoded without a leading zero).
"""

from __future__ import annotations

import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from agent.errors import ProtocolError

_WS = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


class BodyError(ProtocolError):
    """The body cannot be a package: empty, too large, or broken base64."""

    code = "sandbox.body"


def sdk_hex(digest: bytes) -> str:
    """The SDK's hex form: each byte without zero padding (``0x0f`` → ``f``)."""
    return "".join(f"{b:x}" for b in digest)


@dataclass(frozen=True, slots=True)
class SpooledBody:
    path: Path
    size: int
    sha256: str  # of the stored package
    body_sha256: str  # of the body exactly as received
    base64: bool
    digests: tuple[bytes, ...]  # every digest hash-file may match

    def hash_matches(self, claimed: str) -> bool:
        """True when ``claimed`` equals one of the digests in padded or SDK hex (any case)."""
        claimed = claimed.strip().lower()
        return any(claimed in (d.hex(), sdk_hex(d)) for d in self.digests)


class _Sink:
    """Writes what it is given to a file, hashing it, holding back trailing whitespace."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.held = b""
        self.size = 0
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        data = self.held + data
        kept = data.rstrip(_WS)
        self.held = data[len(kept):]
        if kept:
            self.fh.write(kept)
            self.hash.update(kept)
            self.size += len(kept)


class Spool:
    """Receives the body in chunks (``feed``), then ``finish`` returns the stored file."""

    def __init__(self, directory: Path, *, max_bytes: int | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{secrets.token_hex(12)}.part"
        self._fh: BinaryIO = open(self.path, "wb")  # noqa: SIM115 - closed in finish/discard
        self._sink = _Sink(self._fh)
        self._body_hash = hashlib.sha256()
        self._received = 0
        self._max = max_bytes
        self._mode: str | None = None  # None until the first significant byte, then raw/base64
        self._lead = b""
        self._b64_rest = b""

    def feed(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._max is not None and self._received > self._max:
            raise BodyError(f"the package is larger than the {self._max} byte limit")
        self._body_hash.update(chunk)
        if self._mode is None:
            chunk = self._detect(chunk)
        if self._mode == "raw":
            self._sink.write(chunk)
        elif self._mode == "base64":
            self._feed_base64(chunk)

    def _detect(self, chunk: bytes) -> bytes:
        self._lead += chunk
        rest = self._lead
        while rest.startswith(_BOM) or rest[:1] in (b" ", b"\t", b"\r", b"\n"):
            rest = rest[3:] if rest.startswith(_BOM) else rest[1:]
        if not rest:
            return b""
        self._mode = "raw" if rest[:1] == b"<" else "base64"
        lead, self._lead = self._lead, b""
        return lead if self._mode == "raw" else rest

    def _feed_base64(self, chunk: bytes) -> None:
        text = self._b64_rest + chunk.translate(None, _WS)
        cut = len(text) - len(text) % 4
        self._b64_rest = text[cut:]
        if cut:
            self._sink.write(_b64decode(text[:cut]))

    def finish(self) -> SpooledBody:
        """Close the file; raise :class:`BodyError` when it holds no package."""
        try:
            if self._mode == "base64" and self._b64_rest:
                raise BodyError("the base64 body has a truncated last group")
            self._fh.close()
            if self._sink.size == 0:
                raise BodyError("the request body is empty: sendEdoc carries the package")
        except BaseException:
            self.discard()
            raise
        stored = self._sink.hash.digest()
        body = self._body_hash.digest()
        framed = self._sink.hash.copy()  # a file that itself ended in whitespace, minus the CRLF
        framed.update(self._sink.held.removesuffix(b"\r\n"))
        return SpooledBody(
            self.path, self._sink.size, stored.hex(), body.hex(), self._mode == "base64",
            (stored, body, framed.digest()),
        )

    def discard(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)


def _b64decode(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data, strict_mode=True)
    except binascii.Error as exc:
        raise BodyError(
            "the body is neither edXML (it does not start with '<') nor valid base64"
        ) from exc


def fsync_file(path: Path) -> None:
    """fsync a file and its directory (the ``--durable`` mode)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
