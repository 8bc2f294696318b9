"""Streaming base64 in both directions, with size and SHA-256 computed on the fly.

Attachments may be hundreds of megabytes: neither direction ever holds a whole payload. The encoder
reads its source in blocks whose size is a multiple of 3 (so the output has no inner padding and no
line breaks); the decoder accepts text in arbitrary pieces, across which a base64 quantum may be
split, tolerates whitespace and line breaks, and refuses anything else.
"""

from __future__ import annotations

import binascii
import hashlib
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from agent.errors import AttachmentDecodeError, LimitExceededError

ENCODE_BLOCK = 3 * (1 << 16)  # 192 KiB in, 256 KiB out
_WHITESPACE = b" \t\r\n"


class Writable(Protocol):
    """Anything bytes can be written to (a file, a socket wrapper, :class:`io.BytesIO`)."""

    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True, slots=True)
class Digest:
    """Facts about a stream of bytes: its length and SHA-256 (lower-case hex)."""

    size: int
    sha256: str


def encode_stream(source: BinaryIO, out: Writable, block: int = ENCODE_BLOCK) -> Digest:
    """Write ``source`` to ``out`` as one line of standard base64; return the source's digest."""
    if block % 3:
        raise ValueError("the encoding block size must be a multiple of 3")
    sha = hashlib.sha256()
    size = 0
    carry = b""
    while True:
        data = source.read(block)
        if not data:
            break
        sha.update(data)
        size += len(data)
        data = carry + data if carry else data
        cut = len(data) - len(data) % 3
        carry = data[cut:]
        if cut:
            out.write(binascii.b2a_base64(data[:cut], newline=False))
    if carry:
        out.write(binascii.b2a_base64(carry, newline=False))
    return Digest(size, sha.hexdigest())


class Base64Decoder:
    """Incremental base64 decoder writing to ``out``, bounded by ``max_bytes``.

    ``label`` names the attachment in error messages. :meth:`feed` returns the number of bytes
    decoded so a caller can enforce a total across attachments.
    """

    def __init__(self, out: Writable, *, label: str, max_bytes: int) -> None:
        self.out = out
        self.label = label
        self.max_bytes = max_bytes
        self.size = 0
        self._sha = hashlib.sha256()
        self._pending = b""
        self._padded = False

    def feed(self, text: str) -> int:
        """Decode what is complete in ``text`` (plus what was pending); return bytes written."""
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError as exc:
            bad = ord(text[exc.start])
            raise self._error(f"contains the non-base64 character U+{bad:04X}") from None
        if b"\n" in raw or b" " in raw or b"\r" in raw or b"\t" in raw:  # memchr: cheap
            raw = raw.translate(None, _WHITESPACE)
        if not raw:
            return 0
        if self._padded:
            raise self._error("has data after its final '=' padding")
        data = self._pending + raw if self._pending else raw
        cut = len(data) - len(data) % 4
        self._pending = data[cut:]
        return self._decode(data[:cut]) if cut else 0

    def finish(self) -> Digest:
        """Flush the last quantum (missing ``=`` padding is tolerated) and return the digest."""
        if self._pending:
            if len(self._pending) == 1:
                raise self._error("is truncated (its length is not a multiple of 4)")
            self._decode(self._pending + b"=" * (4 - len(self._pending)))
            self._pending = b""
        return Digest(self.size, self._sha.hexdigest())

    def _decode(self, quanta: bytes) -> int:
        pad = quanta.find(b"=")
        if pad >= 0 and quanta[pad:].strip(b"="):
            raise self._error("has data after its final '=' padding")
        try:
            data = binascii.a2b_base64(quanta, strict_mode=True)
        except binascii.Error as exc:
            raise self._error(f"is not valid base64 ({exc})") from None
        self._padded = quanta.endswith(b"=")
        self.size += len(data)
        if self.size > self.max_bytes:
            raise LimitExceededError(
                f"attachment {self.label} is larger than the {self.max_bytes} byte limit",
                hint="raise the attachment size limit (ParseLimits) if this file is legitimate.",
            )
        self._sha.update(data)
        self.out.write(data)
        return len(data)

    def _error(self, what: str) -> AttachmentDecodeError:
        return AttachmentDecodeError(
            f"the payload (ContentTransferEncoded) of attachment {self.label} {what}",
            hint="the package was damaged or produced by faulty software; ask the sender to "
            "send it again.",
        )
