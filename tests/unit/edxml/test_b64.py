"""Streaming base64: any split of the text decodes the same; broken payloads are refused."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.core.edxml.b64 import Base64Decoder, Digest, encode_stream
from agent.errors import AttachmentDecodeError, LimitExceededError


def _decode(pieces: list[str], max_bytes: int = 1 << 20) -> tuple[bytes, Digest]:
    out = io.BytesIO()
    decoder = Base64Decoder(out, label="#1", max_bytes=max_bytes)
    for piece in pieces:
        decoder.feed(piece)
    digest = decoder.finish()
    return out.getvalue(), digest


def _split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]


@given(st.binary(max_size=2000), st.lists(st.integers(min_value=0), max_size=12),
       st.sampled_from(["", "\n", "\r\n", " ", "\t"]))
def test_any_split_and_line_breaks_decode_to_the_same_bytes(
    data: bytes, cuts: list[int], newline: str
) -> None:
    """Quanta split across pieces, MIME-style line breaks or spaces: same bytes, same digest."""
    encoded = base64.encodebytes(data).decode().replace("\n", newline)
    decoded, digest = _decode(_split(encoded, cuts))
    assert (data, Digest(len(data), hashlib.sha256(data).hexdigest())) == (decoded, digest)


@given(st.binary(max_size=5000), st.integers(min_value=1, max_value=300))
def test_encoder_writes_one_standard_line_whatever_the_source_reads(data: bytes, k: int) -> None:
    """Block sizes that are multiples of 3 give one unbroken line of standard base64."""
    out = io.BytesIO()
    digest = encode_stream(io.BytesIO(data), out, block=3 * k)
    assert (base64.b64encode(data), digest.size, digest.sha256) == (
        out.getvalue(), len(data), hashlib.sha256(data).hexdigest())


def test_encoder_refuses_a_block_that_would_pad_mid_stream() -> None:
    """A block size that is not a multiple of 3 would put '=' inside the line."""
    with pytest.raises(ValueError, match="multiple of 3"):
        encode_stream(io.BytesIO(b"abcd"), io.BytesIO(), block=4)


def test_missing_padding_is_tolerated() -> None:
    """Some encoders drop the trailing '='; two or three leftover characters still decode."""
    assert (b"ab", b"abcd") == (_decode(["YWI"])[0], _decode(["YWJj", "ZA"])[0])


@pytest.mark.parametrize(
    ("pieces", "message"),
    [
        (["YWJj", "Z"], "truncated"),
        (["YQ==", "YQ=="], "data after its final '=' padding"),
        (["YQ", "==YQ=="], "data after its final '=' padding"),
        (["YW*j"], "not valid base64"),
        (["YWJ\u00a0j"], "non-base64 character U+00A0"),
        (["=YWJ"], "data after its final '=' padding"),
    ],
)
def test_broken_base64_is_refused(pieces: list[str], message: str) -> None:
    """Each defect is an AttachmentDecodeError naming the attachment and the defect."""
    with pytest.raises(AttachmentDecodeError) as caught:
        _decode(pieces)
    assert message in caught.value.message and "attachment #1" in caught.value.message


def test_the_size_cap_counts_decoded_bytes() -> None:
    """max_bytes applies to decoded bytes, as they stream."""
    with pytest.raises(LimitExceededError, match="larger than the 2 byte limit"):
        _decode([base64.b64encode(b"abc").decode()], max_bytes=2)
    assert b"ab" == _decode([base64.b64encode(b"ab").decode()], max_bytes=2)[0]
