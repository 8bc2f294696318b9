"""Incremental reading of a JSON answer whose ``data`` member is a huge base64 string (sans-IO).

``getEdoc`` answers ``{"status":"OK","ErrorCode":"0","ErrorDesc":"...","data":"<base64 of the whole
package>"}`` and the package can weigh hundreds of MB. :class:`EnvelopeScanner` is fed the answer in
chunks of any size; it reads the top-level object member by member, passes the ``data`` string
through a JSON-unescaper and a strict base64 decoder straight into a sink, and keeps the other
members (small: ``status``, ``ErrorCode``, ...) as parsed JSON values. Memory stays flat: only a
few bytes (an escape or a base64 group split between chunks) are carried from one chunk to the
next.

The string body is matched with a possessive regular expression (C speed), so a 300 MB value costs
a few regex calls per chunk, not a Python step per character. ``\\/`` (Java encoders write it) and
every other JSON escape are honoured; whitespace inside the base64 text is skipped, as MIME-style
line-wrapped encoders produce it.

Everything wrong raises :class:`~agent.errors.AxisProtocolError`: not a JSON object, truncated,
bad escape, bad base64, an oversized small member, ``data`` given twice.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, auto

from agent.errors import AxisProtocolError

Sink = Callable[[bytes], object]

_WS = b" \t\r\n"
_WS_RUN = re.compile(rb"[ \t\r\n]*")
_STRING_BODY = re.compile(rb'(?:[^"\\]++|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*+')
_ESCAPE_PREFIX = re.compile(rb"\\(?:u[0-9a-fA-F]{0,3})?")
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {
    b'"': b'"', b"\\": b"\\", b"/": b"/", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r",
    b"t": b"\t",
}
_BOM = b"\xef\xbb\xbf"
_MAX_KEY = 256


class Base64Decoder:
    """Strict, incremental base64 (standard alphabet, padded) into a sink; whitespace skipped."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._carry = b""
        self._padded = False
        self.size = 0

    def feed(self, text: bytes) -> None:
        if any(ws in text for ws in (b" ", b"\t", b"\r", b"\n")):
            text = text.translate(None, _WS)
        if not text:
            return
        if self._padded:
            raise AxisProtocolError("the base64 package goes on after its '=' padding")
        data = self._carry + text if self._carry else text
        cut = len(data) - len(data) % 4
        self._carry = data[cut:]
        if cut:
            self._decode(data[:cut])

    def _decode(self, groups: bytes) -> None:
        try:
            out = binascii.a2b_base64(groups, strict_mode=True)
        except binascii.Error as exc:
            raise AxisProtocolError(f"the package is not valid base64: {exc}") from None
        self._padded = groups.endswith(b"=")
        self.size += len(out)
        self._sink(out)

    def close(self) -> None:
        if self._carry:
            raise AxisProtocolError(
                f"the base64 package ends in the middle of a group ({len(self._carry)} "
                "characters left over): the answer was cut short"
            )


def _string_body_end(segment: bytes) -> int:
    """Where the body of a JSON string stops in ``segment``: at its closing quote, at a bad or
    incomplete escape, or at the end. A base64 package has no escapes, so the usual answer is
    one ``find`` (memchr speed) instead of the regular expression (about 4 ms per 500 KB)."""
    quote = segment.find(b'"')
    limit = len(segment) if quote < 0 else quote
    if segment.find(b"\\", 0, limit) < 0:
        return limit
    match = _STRING_BODY.match(segment)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def unescape_json_bytes(body: bytes) -> bytes:
    """The UTF-8 bytes of a JSON string body (between the quotes), escapes resolved."""
    if b"\\" not in body:
        return body
    fast = body.replace(b"\\/", b"/")
    if b"\\" not in fast:  # every backslash began a \/ pair
        return fast
    return _ESCAPE.sub(_one_escape, body)


def _one_escape(match: re.Match[bytes]) -> bytes:
    if match[1] is not None:
        return chr(int(match[1], 16)).encode("utf-8", "surrogatepass")
    found = _SIMPLE_ESCAPES.get(match[2])
    if found is None:
        raise AxisProtocolError(f"invalid JSON escape {match[0]!r} in the answer")
    return found


class _State(Enum):
    START = auto()
    OPEN = auto()  # after '{': a key or '}'
    KEY_START = auto()  # after ',': a key
    KEY = auto()
    COLON = auto()
    VALUE = auto()
    RAW = auto()  # a small value, collected then parsed with json.loads
    STREAM = auto()  # the big string, streamed to the sink
    AFTER_VALUE = auto()
    END = auto()


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The members other than the streamed one, and whether (and how much) was streamed."""

    members: dict[str, object]
    streamed: bool
    streamed_size: int


class EnvelopeScanner:
    """Push parser for a top-level JSON object; the ``stream_key`` string goes to ``sink``."""

    def __init__(
        self, sink: Sink, *, stream_key: str = "data", max_member_bytes: int = 1 << 20
    ) -> None:
        self._decoder = Base64Decoder(sink)
        self._stream_key = stream_key
        self._max_member = max_member_bytes
        self._state = _State.START
        self._head = b""  # bytes before the first '{', to see a BOM split across chunks
        self._key = bytearray()
        self._key_escape = False
        self._raw = _RawValue()
        self._carry = b""  # an escape sequence split across chunks, inside the streamed string
        self._members: dict[str, object] = {}
        self._streamed = False

    def feed(self, chunk: bytes) -> None:
        if self._state is _State.START:
            chunk = self._head + chunk
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._head = chunk
                return
            self._head = b""
            chunk = chunk.removeprefix(_BOM)
        pos = 0
        while pos < len(chunk):
            pos = self._HANDLERS[self._state](self, chunk, pos)

    def close(self) -> ScanResult:
        if self._state is not _State.END:
            if self._state is _State.START and not self._head.strip(_WS):
                raise AxisProtocolError("the answer is empty, not a JSON object")
            raise AxisProtocolError("the JSON answer was cut short (it ends before its last '}')")
        return ScanResult(dict(self._members), self._streamed, self._decoder.size)

    # --- structure -----------------------------------------------------------------------------

    def _skip_ws(self, chunk: bytes, pos: int) -> int:
        match = _WS_RUN.match(chunk, pos)
        assert match is not None  # the pattern matches the empty string
        return match.end()

    def _start(self, chunk: bytes, pos: int) -> int:
        pos = self._skip_ws(chunk, pos)
        if pos < len(chunk):
            if chunk[pos : pos + 1] != b"{":
                raise AxisProtocolError(
                    f"the answer is not a JSON object; it starts with {_preview(chunk[pos:])}"
                )
            self._state = _State.OPEN
            pos += 1
        return pos

    def _open(self, chunk: bytes, pos: int) -> int:
        pos = self._skip_ws(chunk, pos)
        if pos < len(chunk):
            if chunk[pos : pos + 1] == b"}":
                self._state = _State.END
                return pos + 1
            self._state = _State.KEY_START
        return pos

    def _key_start(self, chunk: bytes, pos: int) -> int:
        pos = self._skip_ws(chunk, pos)
        if pos < len(chunk):
            self._expect(chunk, pos, b'"', "a member name in double quotes")
            self._state = _State.KEY
            self._key.clear()
            pos += 1
        return pos

    def _key_chars(self, chunk: bytes, pos: int) -> int:
        while pos < len(chunk):
            byte = chunk[pos]
            pos += 1
            if byte == 0x22 and not self._key_escape:
                self._state = _State.COLON
                return pos
            self._key_escape = byte == 0x5C and not self._key_escape
            self._key.append(byte)
            if len(self._key) > _MAX_KEY:
                raise AxisProtocolError("a member name in the JSON answer is too long")
        return pos

    def _colon(self, chunk: bytes, pos: int) -> int:
        pos = self._skip_ws(chunk, pos)
        if pos < len(chunk):
            self._expect(chunk, pos, b":", "':' after a member name")
            self._state = _State.VALUE
            pos += 1
        return pos

    def _value(self, chunk: bytes, pos: int) -> int:
        pos = self._skip_ws(chunk, pos)
        if pos < len(chunk):
            if chunk[pos : pos + 1] == b'"' and self._current_key() == self._stream_key:
                if self._streamed:
                    raise AxisProtocolError(f"the answer has two '{self._stream_key}' members")
                self._state = _State.STREAM
                return pos + 1
            self._raw = _RawValue()
            self._state = _State.RAW
        return pos

    def _after_value(self, chunk: bytes, pos: int) -> int:
        pos = self._skip_ws(chunk, pos)
        if pos < len(chunk):
            self._end_of_member(chunk[pos : pos + 1])
            pos += 1
        return pos

    def _end_of_member(self, delimiter: bytes) -> None:
        if delimiter == b",":
            self._state = _State.KEY_START
        elif delimiter == b"}":
            self._state = _State.END
        else:
            raise AxisProtocolError(
                f"the JSON answer has {_preview(delimiter)} where ',' or '}}' belongs"
            )

    def _end(self, chunk: bytes, pos: int) -> int:
        pos = self._skip_ws(chunk, pos)
        if pos < len(chunk):
            raise AxisProtocolError(
                f"the JSON answer goes on after its closing '}}': {_preview(chunk[pos:])}"
            )
        return pos

    def _expect(self, chunk: bytes, pos: int, wanted: bytes, what: str) -> None:
        if chunk[pos : pos + 1] != wanted:
            raise AxisProtocolError(
                f"the JSON answer has {_preview(chunk[pos:])} where {what} belongs"
            )

    def _current_key(self) -> str:
        try:
            key = json.loads(b'"' + bytes(self._key) + b'"')
        except ValueError:
            raise AxisProtocolError("a member name in the JSON answer is malformed") from None
        assert isinstance(key, str)
        return key

    # --- values --------------------------------------------------------------------------------

    def _raw_value(self, chunk: bytes, pos: int) -> int:
        end, delimiter = self._raw.feed(chunk, pos)
        if self._raw.size > self._max_member:
            raise AxisProtocolError(
                f"member {self._current_key()!r} of the JSON answer is larger than "
                f"{self._max_member} bytes"
            )
        if delimiter is None:
            return end
        try:
            self._members[self._current_key()] = json.loads(self._raw.text())
        except (ValueError, RecursionError):
            raise AxisProtocolError(
                f"member {self._current_key()!r} of the JSON answer is not valid JSON"
            ) from None
        self._end_of_member(delimiter)
        return end + 1

    def _stream(self, chunk: bytes, pos: int) -> int:
        segment = self._carry + chunk[pos:] if self._carry else chunk[pos:]
        offset = pos - len(self._carry)  # segment index i is chunk index i + offset
        self._carry = b""
        body_end = _string_body_end(segment)
        if body_end < len(segment) and segment[body_end : body_end + 1] == b'"':
            self._decoder.feed(unescape_json_bytes(segment[:body_end]))
            self._decoder.close()
            self._streamed = True
            self._state = _State.AFTER_VALUE
            return body_end + 1 + offset
        rest = segment[body_end:]
        if rest and not _ESCAPE_PREFIX.fullmatch(rest):
            raise AxisProtocolError(
                f"bad escape or character {_preview(rest)} in the '{self._stream_key}' string"
            )
        self._decoder.feed(unescape_json_bytes(segment[:body_end]))
        self._carry = bytes(rest)
        return len(chunk)

    _HANDLERS: dict[_State, Callable[[EnvelopeScanner, bytes, int], int]] = {
        _State.START: _start,
        _State.OPEN: _open,
        _State.KEY_START: _key_start,
        _State.KEY: _key_chars,
        _State.COLON: _colon,
        _State.VALUE: _value,
        _State.RAW: _raw_value,
        _State.STREAM: _stream,
        _State.AFTER_VALUE: _after_value,
        _State.END: _end,
    }


class _RawValue:
    """Collects one small JSON value up to the ',' or '}' ending it (depth 0, not in a string)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0
        self._depth = 0
        self._in_string = False
        self._escape = False

    def feed(self, chunk: bytes, pos: int) -> tuple[int, bytes | None]:
        """Consume from ``pos``; return (index reached, the ending delimiter or None)."""
        start = pos
        while pos < len(chunk):
            byte = chunk[pos]
            if self._in_string:
                self._in_string = self._escape or byte != 0x22
                self._escape = not self._escape and byte == 0x5C
            elif byte == 0x22:
                self._in_string = True
            elif byte in b"[{":
                self._depth += 1
            elif byte in b"]}":
                if self._depth == 0:
                    return self._finish(chunk, start, pos, byte)
                self._depth -= 1
            elif byte == 0x2C and self._depth == 0:
                return self._finish(chunk, start, pos, byte)
            pos += 1
        self._parts.append(chunk[start:pos])
        self.size += pos - start
        return pos, None

    def _finish(self, chunk: bytes, start: int, pos: int, byte: int) -> tuple[int, bytes]:
        self._parts.append(chunk[start:pos])
        self.size += pos - start
        return pos, bytes([byte])

    def text(self) -> bytes:
        return b"".join(self._parts)


def _preview(data: bytes) -> str:
    """A short, printable quote of unexpected bytes for an error message."""
    return repr(bytes(data[:40]))
