"""The incremental JSON scanner that streams getEdoc's base64 ``data`` into a sink (axis.scan)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.axis.scan import Base64Decoder, EnvelopeScanner, ScanResult, unescape_json_bytes
from agent.errors import AxisProtocolError

WS = st.text(alphabet=" \t\r\n", max_size=3)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=8,
)


def escape_char(draw: st.DrawFn, ch: str) -> str:
    """One character of a JSON string body, written raw or escaped in one of the legal ways."""
    choices = [json.dumps(ch, ensure_ascii=False)[1:-1], f"\\u{ord(ch):04x}", f"\\u{ord(ch):04X}"]
    if ch == "/":
        choices.append("\\/")
    return draw(st.sampled_from(choices))


@st.composite
def answers(draw: st.DrawFn) -> tuple[bytes, bytes, dict[str, Any]]:
    """(JSON text, the package it carries, the other members): any layout a server could send."""
    package = draw(st.binary(max_size=2000))
    text = base64.b64encode(package).decode("ascii")
    wrap = draw(st.sampled_from([0, 4, 60, 76]))
    if wrap:
        newline = draw(st.sampled_from(["\n", "\r\n"]))
        text = newline.join(text[i : i + wrap] for i in range(0, len(text), wrap))
    body = "".join(escape_char(draw, ch) for ch in text)
    others = draw(st.dictionaries(st.text(max_size=8).filter(lambda k: k != "data"), json_values,
                                  max_size=4))
    members = [f"{json.dumps(k)}{draw(WS)}:{draw(WS)}{json.dumps(v)}" for k, v in others.items()]
    key = draw(st.sampled_from(['"data"', '"d\\u0061ta"', '"\\u0064ata"']))
    members.insert(draw(st.integers(0, len(members))), f'{key}{draw(WS)}:{draw(WS)}"{body}"')
    joined = ",".join(f"{draw(WS)}{m}{draw(WS)}" for m in members)
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + draw(WS) + "{" + joined + "}" + draw(WS)).encode("utf-8"), package, others


def scan(raw: bytes, cuts: list[int] | None = None) -> tuple[bytes, ScanResult]:
    out = bytearray()
    scanner = EnvelopeScanner(out.extend)
    points = sorted({0, len(raw), *(c % (len(raw) + 1) for c in (cuts or []))})
    for start, end in zip(points, points[1:], strict=False):
        scanner.feed(raw[start:end])
    return bytes(out), scanner.close()


@given(answers(), st.lists(st.integers(0, 10**6), max_size=30))
def test_same_bytes_as_json_loads_then_b64decode(
    answer: tuple[bytes, bytes, dict[str, Any]], cuts: list[int]
) -> None:
    """For any answer and any chunking, the sink gets what json.loads + b64decode would give."""
    raw, package, others = answer
    loaded = json.loads(raw.decode("utf-8-sig"))
    expected = base64.b64decode(loaded.pop("data"))
    assert expected == package
    got, result = scan(raw, cuts)
    assert got == expected
    assert result.members == loaded == others
    assert result.streamed and result.streamed_size == len(package)


def test_one_byte_at_a_time_with_escapes_split_everywhere() -> None:
    """Feeding single bytes splits every escape (\\/ and \\u002F) and the BOM; the result holds."""
    package = bytes(range(256)) * 4
    body = base64.b64encode(package).decode().replace("/", "\\/").replace("+", "\\u002B")
    raw = ('\ufeff{"status":"OK","data":"' + body + '","ErrorCode":"0"}').encode()
    got, result = scan(raw, list(range(len(raw))))
    assert got == package and result.members == {"status": "OK", "ErrorCode": "0"}


def test_a_fail_answer_without_data() -> None:
    """A FAIL envelope streams nothing and keeps its members (the wire turns it into an error)."""
    raw = b'{"status":"FAIL","ErrorCode":"15","ErrorDesc":"Sai SystemId","data":null}'
    got, result = scan(raw)
    assert got == b"" and not result.streamed
    assert result.members["ErrorCode"] == "15" and result.members["data"] is None


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<html><body>502 Bad Gateway</body></html>", "not a JSON object; it starts with b'<html"),
        (b'["data"]', "not a JSON object"),
        (b'{"status":"OK","data":"QUJD', "cut short"),
        (b'{"status":"OK","data":"QUJD"', "cut short"),
        (b'{"status":"OK"', "cut short"),
        (b'{"data":"QUJD"} trailing', "goes on after its closing"),
        (b'{"data":"QUJD" "x"}', "where ',' or '}' belongs"),
        (b'{"data":"QU*D"}', "not valid base64"),
        (b'{"data":"QUJDR"}', "middle of a group"),
        (b'{"data":"QQ==QUJD"}', "padding"),
        (b'{"data":"QUJD\\x"}', "bad escape"),
        (b'{"data":"QUJD\\u12G4"}', "bad escape"),
        (b'{"data":"QUJD","data":"QUJD"}', "two 'data' members"),
        (b'{"status":tru}', "not valid JSON"),
        (b'{"status":]}', "not valid JSON"),
        (b'{"status":1]}', "where ',' or '}' belongs"),
        (b'{"status" "OK"}', "':' after a member name"),
        (b'{status:"OK"}', "a member name in double quotes"),
        (b'{"status":"OK",}', "a member name in double quotes"),
        (b'{"' + b"k" * 300 + b'":1}', "too long"),
        (b'{"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not valid JSON"),
    ],
)
def test_broken_answers_are_protocol_errors(raw: bytes, fragment: str) -> None:
    """Each way an answer can be broken raises AxisProtocolError saying what is wrong."""
    with pytest.raises(AxisProtocolError) as caught:
        scan(raw)
    assert fragment in caught.value.message


def test_data_after_padding_split_across_chunks() -> None:
    """Padding in one chunk and more base64 in the next is refused too."""
    with pytest.raises(AxisProtocolError, match="after its '=' padding"):
        scan(b'{"data":"QQ==QUJD"}', [13])


def test_an_oversized_small_member_is_refused() -> None:
    """A member other than data is held in memory, so its size is capped."""
    scanner = EnvelopeScanner(lambda _: None, max_member_bytes=1000)
    with pytest.raises(AxisProtocolError, match="larger than 1000 bytes"):
        scanner.feed(b'{"ErrorDesc":"' + b"x" * 5000 + b'"}')


def test_another_stream_key() -> None:
    """The streamed member's name is a parameter."""
    out = bytearray()
    scanner = EnvelopeScanner(out.extend, stream_key="content")
    scanner.feed(b'{"data":"not streamed","content":"QUJD"}')
    result = scanner.close()
    assert bytes(out) == b"ABC" and result.members == {"data": "not streamed"}


def test_base64_decoder_counts_and_skips_whitespace() -> None:
    """The decoder ignores line breaks, carries partial groups and checks the end."""
    out = bytearray()
    decoder = Base64Decoder(out.extend)
    for part in (b"QU", b"JD\r\n", b"RA", b"==", b"\n"):
        decoder.feed(part)
    decoder.close()
    assert bytes(out) == b"ABCD" and decoder.size == 4


@pytest.mark.parametrize(
    ("body", "text"),
    [(b"a\\/b", b"a/b"), (b"a\\\\/b", b"a\\/b"), (b"\\u0041\\n", b"A\n"), (b"plain", b"plain"),
     (b"\\u1ea0", "Ạ".encode()), (b'\\"\\b\\f\\r\\t', b'"\b\f\r\t')],
)
def test_unescape(body: bytes, text: bytes) -> None:
    """JSON escapes resolve like json.loads, including the \\\\/ corner of the fast path."""
    assert unescape_json_bytes(body) == text
    assert json.loads(b'"' + body + b'"').encode() == text
