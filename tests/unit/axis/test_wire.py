"""The wire layer's pure parts: signed headers, URL building, HTTP/JSON/httpx -> typed errors.

No network: the injected httpx.Client is never asked to send anything here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from agent.axis.codes import ErrorCodeTable
from agent.axis.wire import (
    AxisCredentials,
    AxisWire,
    WireSettings,
    check_status,
    http_status_error,
    parse_envelope,
    translate_errors,
)
from agent.core.xroad import Secret, verify_request
from agent.errors import (
    AxisAuthError,
    AxisProtocolError,
    AxisRateLimitedError,
    AxisRejectedError,
    AxisTransportError,
    ConfigError,
)

T0 = datetime(2026, 11, 23, 19, 35, 44, 351_000, tzinfo=UTC)
SECRET = Secret("s3cr3t-key")
CREDS = AxisCredentials("test.system.01", SECRET)


class Clock:
    """A clock that moves 1.5 s each time it is read."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1500)
        return self.now


@pytest.fixture
def wire() -> Iterator[AxisWire]:
    with httpx.Client() as client:
        yield AxisWire(client, WireSettings("http://127.0.0.1:9"), CREDS, Clock())


def test_headers_are_signed_and_verify(wire: AxisWire) -> None:
    """The wire's headers carry SDK User-Agent/version and pass the server-side check."""
    headers = wire.headers([("docId", "68edb8c8c2dcb14db773ce44"), ("description", "Đã nhận")],
                           "application/json")
    as_text = {n.decode(): v.decode("utf-8") for n, v in headers}
    assert as_text["User-Agent"] == "JAVASDKAgent/1.0.0 XRoad/VPCP"
    assert as_text["XroadVnpt-version"] == "3.0.201608"
    assert as_text["Content-Type"] == "application/json"
    verified = verify_request(headers, {"test.system.01": SECRET}.get)
    assert verified.params["description"] == "Đã nhận"


def test_each_call_gets_a_fresh_timestamp(wire: AxisWire) -> None:
    """Two calls in a row carry different timestamps (the SDK's frozen one is a bug)."""
    stamps = [dict(wire.headers([], "application/json"))[b"XroadVnpt-timestamp"]
              for _ in range(2)]
    assert stamps == [b"24112026T023545+0851", b"24112026T023547+0351"]


def test_repr_hides_the_secret(wire: AxisWire) -> None:
    """Neither the wire nor the credentials show the secret."""
    assert "s3cr3t" not in repr(wire) and "s3cr3t" not in repr(CREDS)


@pytest.mark.parametrize(
    ("base", "prefix", "url"),
    [
        ("http://axis.local", "", "http://axis.local/getEdoc"),
        ("http://axis.local/", "/XrdAdapter/adapter/", "http://axis.local/XrdAdapter/adapter/getEdoc"),
        ("https://10.0.0.1:8080/base", "api", "https://10.0.0.1:8080/base/api/getEdoc"),
    ],
)
def test_url_with_prefix(base: str, prefix: str, url: str) -> None:
    """Base URL + configurable path prefix + /operation, slashes normalised."""
    assert WireSettings(base, path_prefix=prefix).url("getEdoc") == url


@pytest.mark.parametrize("base", ["ftp://axis.local", "axis.local", "", "http://"])
def test_bad_base_url_is_a_config_error(base: str) -> None:
    """A base URL that is not http(s) with a host is refused when the settings are built."""
    with pytest.raises(ConfigError, match="is not an http:// or https:// URL"):
        WireSettings(base)


@pytest.mark.parametrize(
    ("exc", "error_type", "fragment"),
    [
        (httpx.ConnectTimeout("t"), AxisTransportError, "connecting timed out"),
        (httpx.ReadTimeout("t"), AxisTransportError, "waiting for the answer timed out"),
        (httpx.WriteTimeout("t"), AxisTransportError, "sending the request timed out"),
        (httpx.PoolTimeout("t"), AxisTransportError, "free connection timed out"),
        (httpx.ConnectError("[Errno 111] Connection refused"), AxisTransportError,
         "could not connect to the axis at http://127.0.0.1:9: [Errno 111] Connection refused"),
        (httpx.ReadError("Connection reset by peer"), AxisTransportError, "broke mid-call"),
        (httpx.WriteError("Broken pipe"), AxisTransportError, "broke mid-call"),
        (httpx.RemoteProtocolError("Server disconnected"), AxisTransportError, "broke mid-call"),
        (httpx.DecodingError("bad gzip"), AxisProtocolError, "content encoding is broken"),
        (httpx.UnsupportedProtocol("no"), ConfigError, "cannot be used"),
        (httpx.InvalidURL("no"), ConfigError, "cannot be used"),
        (httpx.ProxyError("proxy said no"), AxisTransportError, "HTTP failure"),
        (httpx.StreamConsumed(), AxisTransportError, "HTTP failure"),
    ],
)
def test_httpx_errors_are_translated(
    exc: Exception, error_type: type[Exception], fragment: str
) -> None:
    """Every httpx exception becomes the matching agent error, chained with `from`."""
    with pytest.raises(error_type) as caught, translate_errors("getEdoc", "http://127.0.0.1:9/x"):
        raise exc
    assert fragment in str(caught.value)
    assert caught.value.__cause__ is exc
    assert type(caught.value) is error_type


def test_tls_failures_get_a_tls_hint() -> None:
    """A certificate verification failure points the operator at the CA bundle setting."""
    exc = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    with pytest.raises(AxisTransportError) as caught, translate_errors("getEdoc", "https://a/x"):
        raise exc
    assert caught.value.hint is not None and "ca_bundle" in caught.value.hint


def test_foreign_errors_pass_through_untouched() -> None:
    """Only httpx errors are translated; our own errors keep their type."""
    with pytest.raises(AxisRateLimitedError), translate_errors("getEdoc", "http://a/x"):
        raise AxisRateLimitedError("429", retry_after=1)


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(429, AxisRateLimitedError), (500, AxisTransportError), (502, AxisTransportError),
     (503, AxisTransportError), (408, AxisTransportError), (401, AxisAuthError),
     (403, AxisAuthError), (301, AxisProtocolError), (404, AxisRejectedError),
     (405, AxisRejectedError)],
)
def test_http_status_mapping(status: int, error_type: type[Exception]) -> None:
    """Each HTTP status class becomes its typed error."""
    error = http_status_error("getEdoc", status, None, "https://elsewhere/", "body", now=T0)
    assert type(error) is error_type


def test_429_retry_after_seconds_and_date() -> None:
    """Retry-After in seconds or as an HTTP-date becomes retry_after seconds."""
    seconds = http_status_error("sendEdoc", 429, "30", None, "", now=T0)
    date = http_status_error("sendEdoc", 429, "Mon, 23 Nov 2026 19:36:44 GMT", None, "", now=T0)
    none = http_status_error("sendEdoc", 429, None, None, "", now=T0)
    assert isinstance(seconds, AxisRateLimitedError) and seconds.retry_after == 30
    assert isinstance(date, AxisRateLimitedError) and date.retry_after == pytest.approx(59.649)
    assert isinstance(none, AxisRateLimitedError) and none.retry_after is None


def test_503_with_retry_after_is_honoured_like_429() -> None:
    """An overloaded axis (503) that says when to come back carries retry_after; without the
    header it is a plain transport error."""
    with_header = http_status_error("getEdoc", 503, "120", None, "busy", now=T0)
    without = http_status_error("getEdoc", 503, None, None, "busy", now=T0)
    assert isinstance(with_header, AxisRateLimitedError) and with_header.retry_after == 120
    assert "HTTP 503" in str(with_header) and type(without) is AxisTransportError


def test_upload_timeout_and_local_time_zone() -> None:
    """sendEdoc gets the long upload timeout; timestamps follow the configured offset."""
    settings = WireSettings("http://127.0.0.1:9", read_timeout=5, upload_timeout=600,
                            local_tz=timezone(timedelta(hours=9)))
    assert settings.timeout().read == 5 and settings.timeout(upload=True).read == 600
    assert settings.timeout(upload=True).write == 600
    with httpx.Client() as client:
        wire = AxisWire(client, settings, CREDS, lambda: T0)
        stamp = dict(wire.headers([], "application/json"))[b"XroadVnpt-timestamp"]
    assert stamp == b"24112026T043544+0351"


def test_404_names_the_settings_to_check() -> None:
    """A 404 is a rejection whose hint names base_url and path_prefix."""
    error = http_status_error("getEdoc", 404, None, None, "Not Found", now=T0)
    assert isinstance(error, AxisRejectedError) and error.error_code == "HTTP 404"
    assert error.hint is not None and "path_prefix" in error.hint
    assert "HTTP 404: Not Found" in error.message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [(b"<html>502 Bad Gateway</html>", "not JSON: '<html>502 Bad Gateway</html>'"),
     (b"", "not JSON: (empty)"), (b"[1,2]", "JSON but not an object"),
     (b"[" * 100_000, "not JSON")],
)
def test_parse_envelope_refuses_non_objects(raw: bytes, fragment: str) -> None:
    """Non-JSON answers (a proxy's HTML page) are protocol errors with a preview."""
    with pytest.raises(AxisProtocolError) as caught:
        parse_envelope("getEdoc", raw)
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    "members",
    [{"status": "OK", "ErrorCode": "0", "ErrorDesc": "Thanh cong"}, {"status": "OK"},
     {"status": "ok", "ErrorCode": 0}],
)
def test_success_envelopes(members: dict[str, object]) -> None:
    """OK with ErrorCode "0" (or 0, or absent) is success."""
    check_status("getEdoc", members, ErrorCodeTable())


@pytest.mark.parametrize(
    ("members", "error_type", "fragment"),
    [
        ({"status": "FAIL", "ErrorCode": "18", "ErrorDesc": "Don vi nhan khong ton tai"},
         AxisRejectedError, "ErrorCode 18 “Đơn vị nhận không tồn tại”: Don vi nhan"),
        ({"status": "FAIL", "ErrorCode": 15}, AxisAuthError, "ErrorCode 15"),
        ({"status": "OK", "ErrorCode": "22"}, AxisRejectedError, "ErrorCode 22"),
        ({"status": "FAIL"}, AxisRejectedError, "ErrorCode (none)"),
        ({"status": "FAIL", "ErrorCode": "0"}, AxisProtocolError, "FAIL with ErrorCode"),
        ({"ErrorCode": "0"}, AxisProtocolError, "'status' is None"),
        ({"status": 1}, AxisProtocolError, "'status' is 1"),
        ({"status": "MAYBE"}, AxisProtocolError, "not \"OK\" or \"FAIL\""),
        ({"status": "OK", "ErrorCode": ["0"]}, AxisProtocolError, "'ErrorCode' is not text"),
    ],
)
def test_failing_or_lying_envelopes(
    members: dict[str, object], error_type: type[Exception], fragment: str
) -> None:
    """FAIL is a rejection (auth for 15); contradictions and wrong types are protocol errors."""
    with pytest.raises(error_type) as caught:
        check_status("getEdoc", members, ErrorCodeTable())
    assert type(caught.value) is error_type
    assert fragment in str(caught.value)


def test_real_envelope_text() -> None:
    """The success answer of edxml-convert's status_response.json shape parses and passes."""
    raw = json.dumps({"status": "OK", "ErrorCode": "0", "ErrorDesc": "Thanh cong"}).encode()
    check_status("updateStatus", parse_envelope("updateStatus", raw), ErrorCodeTable())
