"""XroadVnpt request signing, client and server side (AXIS.md §5.2, §5.3)."""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.core.xroad import (
    HASH_HEADER,
    SIGN_HEADER,
    VIETNAM_TZ,
    Secret,
    hash_file_hex,
    hash_file_matches,
    parse_vxp_timestamp,
    sign_request,
    verify_request,
    vxp_timestamp,
)
from agent.errors import RequestAuthError

# A verbatim copy of ../shared/protocol/examples/hmac-vector.json, so a fresh clone has it.
VECTOR_PATH = Path(__file__).parent / "axis" / "data" / "hmac-vector.json"
SHARED_VECTOR = Path(__file__).parents[3] / "shared" / "protocol" / "examples" / "hmac-vector.json"
VECTOR = json.loads(VECTOR_PATH.read_text(encoding="utf-8"))
SECRET_TEXT = VECTOR["secret"]
SECRET = Secret(SECRET_TEXT)
SECRETS = {"test.system.01": SECRET}.get


def vector_headers() -> list[tuple[str, str]]:
    fields = {f["name"]: f["value"] for f in VECTOR["fields"]}
    return sign_request(
        systemid=fields["systemid"],
        secret=SECRET,
        timestamp=fields["timestamp"],
        content_type=fields["Content-Type"],
        params=[("servicetype", "eDoc"), ("messagetype", "edoc")],
    )


def signed_by_hand(
    members: list[tuple[str, str]], secret: str = SECRET_TEXT
) -> list[tuple[str, str]]:
    """Headers as another client might send them: members in any order, signed over that text."""
    text = json.dumps(dict(members), separators=(",", ":"), ensure_ascii=False)
    mac = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    return [*members, (SIGN_HEADER, text), (HASH_HEADER, mac)]


BASE = [
    ("XroadVnpt-systemid", "test.system.01"),
    ("XroadVnpt-timestamp", "24112026T023544+0351"),
    ("XroadVnpt-Content-Type", "application/json"),
]


# --- client side ----------------------------------------------------------------------------------


def test_vector_copy_is_the_shared_one() -> None:
    """The copied vector equals the shared protocol file when that is checked out beside us."""
    if not SHARED_VECTOR.exists():
        pytest.skip("../shared/protocol is not checked out beside this clone")
    assert VECTOR_PATH.read_bytes() == SHARED_VECTOR.read_bytes()


def test_vector_headers_byte_for_byte_in_sent_order() -> None:
    """sign_request reproduces http_headers_in_sent_order of hmac-vector.json exactly."""
    assert vector_headers() == [tuple(pair) for pair in VECTOR["http_headers_in_sent_order"]]


def test_vector_sign_header_and_hash() -> None:
    """The sign-header text, key list and HMAC equal the vector's values."""
    headers = dict(vector_headers())
    assert headers["XroadVnpt-sign-header"] == VECTOR["sign_header"]
    assert headers["XroadVnpt-sign-header-key"] == VECTOR["sign_header_key"]
    assert headers["XroadVnpt-hash-header"] == VECTOR["hash_header"]


def test_timestamp_format_is_literal_plus_and_milliseconds() -> None:
    """24112026T023544+0351: day month year T time, '+', 4-digit milliseconds, Vietnam time."""
    now = datetime(2026, 11, 23, 19, 35, 44, 351_999, tzinfo=UTC)
    assert vxp_timestamp(now) == "24112026T023544+0351"
    assert vxp_timestamp(datetime(2026, 1, 2, 3, 4, 5, 7000)) == "02012026T030405+0007"
    assert parse_vxp_timestamp("24112026T023544+0351") == datetime(
        2026, 11, 24, 2, 35, 44, 351_000, tzinfo=VIETNAM_TZ
    )


@pytest.mark.parametrize("bad", ["24112026T023544+1351", "2411202T023544+0351", "", "x"])
def test_malformed_timestamps_are_refused(bad: str) -> None:
    """parse_vxp_timestamp rejects a wrong shape or out-of-range milliseconds."""
    with pytest.raises(ValueError):
        parse_vxp_timestamp(bad)


def test_non_ascii_and_quotes_are_raw_in_the_sign_header() -> None:
    """Vietnamese text stays raw UTF-8 and quotes/backslashes are escaped, as in the SDK."""
    headers = dict(sign_request(
        systemid="s.1", secret=SECRET, timestamp="t", content_type="application/json",
        params=[("description", 'Đã nhận "bản" \\ gốc'), ("to", '["000.00.00.H41"]')],
    ))
    text = headers[SIGN_HEADER]
    assert '"XroadVnpt-description":"Đã nhận \\"bản\\" \\\\ gốc"' in text
    assert '"XroadVnpt-to":"[\\"000.00.00.H41\\"]"' in text
    assert json.loads(text)["XroadVnpt-description"] == 'Đã nhận "bản" \\ gốc'


def test_reserved_or_repeated_parameter_names_are_refused() -> None:
    """A call may not override systemid/timestamp/Content-Type nor send a parameter twice."""
    for params in ([("systemid", "x")], [("docId", "1"), ("docid", "2")], [("a;b", "1")]):
        with pytest.raises(ValueError):
            sign_request(systemid="s.1", secret=SECRET, timestamp="t",
                         content_type="application/json", params=params)


def test_hash_file_both_styles() -> None:
    """sha256('abc') in the SDK's unpadded style and padded; both are accepted by the checker."""
    digest = hashlib.sha256(b"abc").digest()
    related = VECTOR["related_vector_hash_file"]
    assert hash_file_hex(digest) == related["sdk_style_hex"]
    assert hash_file_hex(digest, padded=True) == related["sha256_hex"]
    assert hash_file_matches(related["sdk_style_hex"], digest)
    assert hash_file_matches(related["sha256_hex"].upper(), digest)
    assert not hash_file_matches(related["sha256_hex"][:-1] + "0", digest)
    assert not hash_file_matches("không phải", digest)


def test_secret_never_shows() -> None:
    """repr/str hide the value, pickling is refused, an empty secret is refused."""
    assert SECRET_TEXT not in repr(SECRET) and SECRET_TEXT not in str(SECRET)
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    with pytest.raises(TypeError):
        pickle.dumps(SECRET)
    with pytest.raises(ValueError):
        Secret("")


# --- server side ----------------------------------------------------------------------------------


def test_vector_request_verifies() -> None:
    """The vector's headers verify; the result carries the signed params, case-insensitively."""
    verified = verify_request(vector_headers(), SECRETS)
    assert verified.systemid == "test.system.01"
    assert verified.params["MESSAGETYPE"] == "edoc"
    assert verified.params["content-type"] == "application/json"
    assert verified.unsigned == ()


def test_header_names_in_any_case_and_bytes() -> None:
    """ASGI-style lower-cased byte headers with raw UTF-8 values verify."""
    headers = sign_request(systemid="test.system.01", secret=SECRET, timestamp="t",
                           content_type="application/json",
                           params=[("docId", "68edb8c8c2dcb14db773ce44"),
                                   ("description", "Tiếp nhận")])
    raw = [(n.lower().encode(), v.encode("utf-8")) for n, v in headers]
    verified = verify_request(raw, SECRETS)
    assert verified.params["docid"] == "68edb8c8c2dcb14db773ce44"
    assert verified.params["Description"] == "Tiếp nhận"


def test_members_in_another_order_are_not_rebuilt() -> None:
    """A sign-header in Java HashMap order verifies: the HMAC covers the received text as is."""
    members = [("XroadVnpt-Content-Type", "application/json"),
               ("XroadVnpt-docid", "68edb8c8c2dcb14db773ce44"), *BASE[:2]]
    verified = verify_request(signed_by_hand(members), SECRETS)
    assert verified.params["docId"] == "68edb8c8c2dcb14db773ce44"
    assert "servicetype" not in verified.params


def test_accumulated_and_unsigned_headers_are_ignored() -> None:
    """Signed leftovers are tolerated; an unsigned XroadVnpt-* header is only listed."""
    members = [*BASE, ("XroadVnpt-servicetype", "eDoc"), ("XroadVnpt-filePath", "/tmp/x")]
    headers = [*signed_by_hand(members), ("XroadVnpt-docId", "injected"),
               ("XroadVnpt-version", "3.0.201608")]
    verified = verify_request(headers, SECRETS)
    assert "docId" not in verified.params
    assert verified.params["filepath"] == "/tmp/x"
    assert verified.unsigned == ("XroadVnpt-docId",)


def _auth_error(headers: list[tuple[str, str]], **kw: object) -> str:
    with pytest.raises(RequestAuthError) as caught:
        verify_request(headers, SECRETS, **kw)  # type: ignore[arg-type]
    text = str(caught.value) + repr(caught.value.args)
    assert SECRET_TEXT not in text
    assert hmac.new(SECRET_TEXT.encode(), b"", hashlib.sha256).hexdigest()[:16] not in text
    return caught.value.message


def test_unknown_system() -> None:
    """An unknown system id is reported as such, before any HMAC work."""
    headers = signed_by_hand([("XroadVnpt-systemid", "other.system.02"), *BASE[1:]])
    assert "unknown system id 'other.system.02'" in _auth_error(headers)


def test_wrong_secret_is_a_bad_signature_without_the_expected_hash() -> None:
    """A signature made with another secret fails as 'bad signature'; no hash in the message."""
    headers = signed_by_hand(BASE, secret="wrong")
    expected = hmac.new(SECRET_TEXT.encode(), dict(headers)[SIGN_HEADER].encode(),
                        hashlib.sha256).hexdigest()
    message = _auth_error(headers)
    assert message.startswith("bad signature")
    assert expected not in message and dict(headers)[HASH_HEADER] not in message


def test_traceback_locals_hold_neither_secret_nor_expected_hash() -> None:
    """A logger that prints every frame's locals (rich tracebacks) still shows nothing secret."""
    headers = signed_by_hand(BASE, secret="wrong")
    expected = hmac.new(SECRET_TEXT.encode(), dict(headers)[SIGN_HEADER].encode(),
                        hashlib.sha256).hexdigest()
    with pytest.raises(RequestAuthError) as caught:
        verify_request(headers, SECRETS)
    shown = []
    tb = caught.tb.tb_next  # skip this test's own frame
    while tb is not None:
        shown += [repr(value) for value in tb.tb_frame.f_locals.values()]
        tb = tb.tb_next
    assert shown and not any(expected in text or SECRET_TEXT in text for text in shown)


def test_non_hex_hash_is_a_bad_signature() -> None:
    """A hash-header that is not 64 hex characters is refused as a bad signature."""
    headers = [(n, "zz" if n == HASH_HEADER else v) for n, v in signed_by_hand(BASE)]
    assert "not 64 hex" in _auth_error(headers)


def test_uppercase_hash_is_accepted() -> None:
    """Hex case in the hash-header does not matter."""
    headers = [(n, v.upper() if n == HASH_HEADER else v) for n, v in signed_by_hand(BASE)]
    assert verify_request(headers, SECRETS).systemid == "test.system.01"


def test_header_differing_from_its_signed_value() -> None:
    """Changing a signed parameter's header after signing is a header/signed-value mismatch."""
    headers = [(n, "fail" if n == "XroadVnpt-status" else v)
               for n, v in signed_by_hand([*BASE, ("XroadVnpt-status", "done")])]
    assert "mismatch: header 'XroadVnpt-status' differs" in _auth_error(headers)


def test_signed_member_without_its_header() -> None:
    """A signed member whose header was not sent is a mismatch too."""
    headers = [(n, v) for n, v in signed_by_hand([*BASE, ("XroadVnpt-status", "done")])
               if n != "XroadVnpt-status"]
    assert "is signed but was not sent" in _auth_error(headers)


def test_systemid_must_be_signed() -> None:
    """A valid HMAC over JSON that leaves systemid out does not vouch for the system id."""
    headers = [*signed_by_hand(BASE[1:]), BASE[0]]
    assert "system id is not covered" in _auth_error(headers)


@pytest.mark.parametrize("missing", ["XroadVnpt-systemid", SIGN_HEADER, HASH_HEADER])
def test_missing_headers(missing: str) -> None:
    """Each of the three headers verification needs is named when absent."""
    headers = [(n, v) for n, v in signed_by_hand(BASE) if n != missing]
    assert f"header {missing} is missing" in _auth_error(headers)


def test_duplicate_header_with_different_values() -> None:
    """The same header twice (any case) with different values is ambiguous and refused."""
    headers = [*signed_by_hand(BASE), ("xroadvnpt-systemid", "other")]
    assert "sent twice" in _auth_error(headers)


@pytest.mark.parametrize(
    ("members_text", "fragment"),
    [
        ('{"XroadVnpt-systemid":"test.system.01"', "is not JSON"),
        ('["XroadVnpt-systemid"]', "JSON object whose values are strings"),
        ('{"XroadVnpt-systemid":1}', "JSON object whose values are strings"),
        ('{"systemid":"test.system.01"}', "is not 'XroadVnpt-<name>'"),
        ('{"XroadVnpt-systemid":"test.system.01","xroadvnpt-SYSTEMID":"test.system.01"}',
         "twice"),
    ],
)
def test_malformed_signed_json(members_text: str, fragment: str) -> None:
    """A correctly MACed but malformed sign-header is refused with what is wrong with it."""
    mac = hmac.new(SECRET_TEXT.encode(), members_text.encode(), hashlib.sha256).hexdigest()
    headers = [BASE[0], (SIGN_HEADER, members_text), (HASH_HEADER, mac)]
    assert fragment in _auth_error(headers)


def test_frozen_timestamp_is_accepted_by_default() -> None:
    """A 2019 timestamp (the SDK's frozen one) passes when no skew limit is set."""
    members = [BASE[0], ("XroadVnpt-timestamp", "01052019T101010+0001"), BASE[2]]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert verify_request(signed_by_hand(members), SECRETS, now=now).systemid


def test_skew_check_when_asked() -> None:
    """With now and max_skew, an old, missing or malformed timestamp fails the skew check."""
    now = parse_vxp_timestamp("24112026T023544+0351")
    ok = verify_request(signed_by_hand(BASE), SECRETS, now=now + timedelta(seconds=30),
                        max_skew=timedelta(minutes=5))
    assert ok.params["timestamp"] == "24112026T023544+0351"
    late = now + timedelta(hours=1)
    assert "3600 s away" in _auth_error(signed_by_hand(BASE), now=late,
                                        max_skew=timedelta(minutes=5))
    no_stamp = signed_by_hand([BASE[0], BASE[2]])
    assert "no signed timestamp" in _auth_error(no_stamp, now=late, max_skew=timedelta(1))
    bad = signed_by_hand([BASE[0], ("XroadVnpt-timestamp", "yesterday")])
    assert "timestamp skew check" in _auth_error(bad, now=late, max_skew=timedelta(1))


def test_non_utf8_header_value() -> None:
    """A header value that is not UTF-8 is refused cleanly."""
    headers: list[tuple[bytes, bytes]] = [(n.encode(), v.encode()) for n, v in signed_by_hand(BASE)]
    headers[0] = (b"XroadVnpt-systemid", b"\xff")
    with pytest.raises(RequestAuthError, match="not valid UTF-8"):
        verify_request(headers, SECRETS)


values = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@given(st.lists(st.tuples(st.from_regex(r"[a-zA-Z][a-zA-Z-]{0,10}", fullmatch=True), values),
                max_size=6, unique_by=lambda p: p[0].lower()))
def test_sign_then_verify_round_trip(params: list[tuple[str, str]]) -> None:
    """Whatever the parameters (Vietnamese, quotes, any case), what the client signs verifies."""
    params = [(n, v) for n, v in params if n.lower() not in {"systemid", "timestamp",
                                                             "content-type", "sign-header",
                                                             "sign-header-key", "hash-header",
                                                             "version"}]
    headers = sign_request(systemid="test.system.01", secret=SECRET, timestamp="t",
                           content_type="application/json", params=params)
    raw = [(n.encode(), v.encode("utf-8")) for n, v in headers]
    verified = verify_request(raw, SECRETS)
    assert all(verified.params[n] == v for n, v in params)
