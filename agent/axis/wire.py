"""The wire layer of the axis client: the only module that knows httpx, headers and signing.

:class:`AxisWire` sends one signed call and turns whatever comes back into a value or a typed error
(the pattern of certbot's ``ClientNetwork`` under ``ClientV2``; error translation as httpx's own
``map_httpcore_exceptions``)::

    httpx.TimeoutException ........................ AxisTransportError  "did not answer in time"
    httpx.ConnectError (refused, DNS, TLS) ........ AxisTransportError  "could not connect"
    httpx.ReadError / WriteError / RemoteProtocolError
                                                    AxisTransportError  "connection broken"
    httpx.DecodingError ........................... AxisProtocolError
    httpx.InvalidURL / UnsupportedProtocol ........ ConfigError          (base_url is wrong)
    any other httpx.HTTPError / StreamError ....... AxisTransportError
    HTTP 429, or 503 with Retry-After ............. AxisRateLimitedError(retry_after)
    HTTP 408, 5xx ................................. AxisTransportError
    HTTP 401, 403 ................................. AxisAuthError        (a gateway refused us)
    HTTP 3xx ...................................... AxisProtocolError    (redirects not followed)
    other HTTP 4xx ................................ AxisRejectedError    (error_code "HTTP <n>")
    not JSON, no ``status``, wrong types .......... AxisProtocolError
    ``status: FAIL`` / ``ErrorCode`` != "0" ....... AxisRejectedError / AxisAuthError (codes.py)

Each call is signed with a fresh timestamp from the injected clock (the SDK's frozen timestamp is a
bug, AXIS.md §11). The ``httpx.Client`` is built outside (see :mod:`agent.axis.http`) and injected:
it is the one I/O seam.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from agent.axis.codes import ErrorCodeTable, clean_desc
from agent.axis.scan import EnvelopeScanner, Sink
from agent.core.retry import parse_retry_after
from agent.core.xroad import (
    SDK_USER_AGENT,
    SDK_VERSION,
    VIETNAM_TZ,
    Secret,
    sign_request,
    vxp_timestamp,
)
from agent.errors import (
    AxisAuthError,
    AxisProtocolError,
    AxisRateLimitedError,
    AxisRejectedError,
    AxisTransportError,
    ConfigError,
)

JSON_TYPE = "application/json"
OCTET_TYPE = "application/octet-stream"
Envelope = dict[str, object]
Body = bytes | Iterable[bytes]

_TLS_HINT = "check axis.tls.ca_bundle (and the client certificate, if the axis wants one)"
_NET_HINT = "check axis.base_url and the network path to the axis; the agent tries again later"


@dataclass(frozen=True, slots=True)
class AxisCredentials:
    """The systemid and its shared secret (wrapped: never shown in reprs)."""

    systemid: str
    secret: Secret = field(repr=False)


@dataclass(frozen=True, slots=True)
class WireSettings:
    """Where the axis is and how to talk to it; every value has a configuration key."""

    base_url: str
    path_prefix: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    write_timeout: float = 60.0
    pool_timeout: float = 10.0
    upload_timeout: float = 600.0  # read and write timeout of sendEdoc (large packages)
    local_tz: timezone = VIETNAM_TZ  # the local time of request timestamps
    user_agent: str = SDK_USER_AGENT
    version: str = SDK_VERSION
    error_codes: ErrorCodeTable = field(default_factory=ErrorCodeTable)
    chunk_size: int = 1 << 16
    max_json_bytes: int = 256 << 20  # a whole getAgenciesList (~111 000 rows) fits

    def __post_init__(self) -> None:
        url = httpx.URL(self.base_url) if _valid_url(self.base_url) else None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(
                f"axis.base_url {self.base_url!r} is not an http:// or https:// URL",
                hint="for example https://vxpdungchung.vnpt.vn",
            )

    def url(self, operation: str) -> str:
        prefix = "/" + self.path_prefix.strip("/") if self.path_prefix.strip("/") else ""
        return self.base_url.rstrip("/") + prefix + "/" + operation

    def timeout(self, *, upload: bool = False) -> httpx.Timeout:
        slow = self.upload_timeout if upload else None
        return httpx.Timeout(
            connect=self.connect_timeout, read=slow or self.read_timeout,
            write=slow or self.write_timeout, pool=self.pool_timeout,
        )


def _valid_url(text: str) -> bool:
    try:
        httpx.URL(text)
    except (httpx.InvalidURL, TypeError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    body: Body
    content_type: str = JSON_TYPE
    extra_headers: Sequence[tuple[bytes, bytes]] = ()
    upload: bool = False


class AxisWire:
    """Signed calls to the axis over an injected ``httpx.Client``."""

    def __init__(
        self,
        http: httpx.Client,
        settings: WireSettings,
        credentials: AxisCredentials,
        clock: Callable[[], datetime],
    ) -> None:
        self._http = http
        self.settings = settings
        self._credentials = credentials
        self._clock = clock

    def __repr__(self) -> str:
        return f"AxisWire({self.settings.base_url!r}, systemid={self._credentials.systemid!r})"

    def headers(
        self, params: Sequence[tuple[str, str]], content_type: str
    ) -> list[tuple[bytes, bytes]]:
        """The signed headers of one call, UTF-8 encoded (httpx would refuse non-ASCII str)."""
        pairs = sign_request(
            systemid=self._credentials.systemid,
            secret=self._credentials.secret,
            timestamp=vxp_timestamp(self._clock(), self.settings.local_tz),
            content_type=content_type,
            params=params,
            user_agent=self.settings.user_agent,
            version=self.settings.version,
        )
        return [(name.encode("ascii"), value.encode("utf-8")) for name, value in pairs]

    def call(
        self,
        operation: str,
        params: Sequence[tuple[str, str]] = (),
        *,
        method: str = "POST",
        body: Body = b"",
        content_type: str = JSON_TYPE,
        extra_headers: Sequence[tuple[bytes, bytes]] = (),
        upload: bool = False,
    ) -> Envelope:
        """One call whose answer is a small JSON envelope; returns its members on success.

        ``upload`` gives the call the longer ``upload_timeout`` (sendEdoc).
        """
        request = _Request(method, body, content_type, extra_headers, upload)
        with self._exchange(operation, params, request) as resp:
            raw = self._read_capped(operation, resp)
        members = parse_envelope(operation, raw)
        check_status(operation, members, self.settings.error_codes)
        return members

    def call_streamed(
        self,
        operation: str,
        params: Sequence[tuple[str, str]] = (),
        *,
        sink: Sink,
        method: str = "POST",
        body: Body = b"",
        raw_xml: bool = False,
    ) -> Envelope:
        """A call whose answer carries a package: ``data`` (base64) is decoded into ``sink``.

        With ``raw_xml``, an answer that starts with ``<`` is the package itself, copied as is.
        On any error the sink holds garbage: write to a temporary file and discard it then.
        """
        with self._exchange(operation, params, _Request(method, body)) as resp:
            chunks = resp.iter_bytes(self.settings.chunk_size)
            first = _first_meaningful(chunks)
            if raw_xml and first.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                _copy(first, chunks, sink)
                return {"status": "OK", "raw": True}
            scanner = EnvelopeScanner(sink)
            scanner.feed(first)
            for chunk in chunks:
                scanner.feed(chunk)
            result = scanner.close()
        check_status(operation, result.members, self.settings.error_codes)
        if not result.streamed:
            raise AxisProtocolError(f"{operation}: the answer carries no package in 'data'")
        return result.members

    @contextmanager
    def _exchange(
        self, operation: str, params: Sequence[tuple[str, str]], request: _Request
    ) -> Iterator[httpx.Response]:
        headers = [*self.headers(params, request.content_type), *request.extra_headers]
        url = self.settings.url(operation)
        timeout = self.settings.timeout(upload=request.upload)
        with translate_errors(operation, url):
            with self._http.stream(
                request.method, url, headers=headers, content=request.body, timeout=timeout
            ) as response:
                self._check_http(operation, response)
                yield response

    def _check_http(self, operation: str, response: httpx.Response) -> None:
        if 200 <= response.status_code < 300:
            return
        preview = _body_preview(response)
        error = http_status_error(
            operation, response.status_code, response.headers.get("Retry-After"),
            response.headers.get("Location"), preview, now=self._clock(),
        )
        raise error

    def _read_capped(self, operation: str, response: httpx.Response) -> bytes:
        parts: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes(self.settings.chunk_size):
            total += len(chunk)
            if total > self.settings.max_json_bytes:
                raise AxisProtocolError(
                    f"{operation}: the answer is larger than {self.settings.max_json_bytes} bytes"
                )
            parts.append(chunk)
        return b"".join(parts)


# --- translation (pure functions, unit-tested without a network) -------------------------------


@contextmanager
def translate_errors(operation: str, url: str) -> Iterator[None]:
    """Turn every httpx exception raised inside into the matching agent error."""
    try:
        yield
    except httpx.TimeoutException as exc:
        phase = _TIMEOUT_PHASES.get(type(exc), "the call")
        raise AxisTransportError(
            f"{operation}: the axis did not answer in time ({phase} timed out)", hint=_NET_HINT
        ) from exc
    except httpx.ConnectError as exc:
        tls = "CERTIFICATE" in str(exc).upper() or "SSL" in str(exc).upper()
        raise AxisTransportError(
            f"{operation}: could not connect to the axis at {_origin(url)}: {_short(exc)}",
            hint=_TLS_HINT if tls else _NET_HINT,
        ) from exc
    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, httpx.CloseError) as exc:
        raise AxisTransportError(
            f"{operation}: the connection to the axis broke mid-call: {_short(exc)}",
            hint=_NET_HINT,
        ) from exc
    except httpx.DecodingError as exc:
        raise AxisProtocolError(
            f"{operation}: the answer's content encoding is broken: {_short(exc)}"
        ) from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise ConfigError(f"axis URL {url!r} cannot be used: {_short(exc)}") from exc
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise AxisTransportError(f"{operation}: HTTP failure: {_short(exc)}") from exc


_TIMEOUT_PHASES: dict[type[httpx.TimeoutException], str] = {
    httpx.ConnectTimeout: "connecting",
    httpx.ReadTimeout: "waiting for the answer",
    httpx.WriteTimeout: "sending the request",
    httpx.PoolTimeout: "waiting for a free connection",
}


def http_status_error(
    operation: str,
    status: int,
    retry_after: str | None,
    location: str | None,
    preview: str,
    *,
    now: datetime,
) -> Exception:
    """The typed error for a non-2xx HTTP answer."""
    said = f": {preview}" if preview else ""
    where = f"{operation}: HTTP {status}{said}"
    seconds = parse_retry_after(retry_after, now=now)
    if status == 429:
        return AxisRateLimitedError(
            f"{operation}: the axis is rate-limiting this system (HTTP 429)", retry_after=seconds
        )
    if status == 503 and seconds is not None:
        return AxisRateLimitedError(
            f"{operation}: the axis is unavailable (HTTP 503) and asks to come back in "
            f"{seconds:.0f} s{said}", retry_after=seconds,
        )
    if status == 408 or status >= 500:
        return AxisTransportError(where, hint="the axis or a proxy in front of it failed")
    if status in (401, 403):
        return AxisAuthError(where, error_code=f"HTTP {status}", error_desc=preview,
                             hint="a gateway refused the request; check credentials and client "
                             "certificate")
    if 300 <= status < 400:
        return AxisProtocolError(
            f"{where}; redirect to {clean_desc(location or '?')} not followed",
            hint="set axis.base_url to the final address (http vs https?)",
        )
    return AxisRejectedError(where, error_code=f"HTTP {status}", error_desc=preview,
                             hint="check axis.base_url and axis.path_prefix")


def parse_envelope(operation: str, raw: bytes) -> Envelope:
    """The members of a JSON object answer, or AxisProtocolError with a preview of the text."""
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        raise AxisProtocolError(
            f"{operation}: the answer is not JSON: {_preview(raw)}",
            hint="a proxy or gateway may be answering instead of the axis",
        ) from None
    if not isinstance(parsed, dict):
        raise AxisProtocolError(f"{operation}: the answer is JSON but not an object")
    return parsed


def check_status(operation: str, members: Envelope, table: ErrorCodeTable) -> None:
    """Success is ``status: OK`` with ``ErrorCode`` "0" or absent; else the typed rejection."""
    status = members.get("status")
    if not isinstance(status, str) or status.upper() not in ("OK", "FAIL"):
        raise AxisProtocolError(
            f"{operation}: the answer's 'status' is {status!r:.40}, not \"OK\" or \"FAIL\""
        )
    code = _code_text(operation, members.get("ErrorCode"))
    desc = members.get("ErrorDesc")
    desc_text = desc if isinstance(desc, str) else "" if desc is None else str(desc)
    if status.upper() == "OK" and code in (None, "0"):
        return
    if code == "0":
        raise AxisProtocolError(f"{operation}: the answer says FAIL with ErrorCode \"0\"")
    raise table.rejection(operation, code or "", desc_text)


def _code_text(operation: str, code: object) -> str | None:
    if code is None:
        return None
    if isinstance(code, str):
        return code.strip()
    if isinstance(code, int) and not isinstance(code, bool):
        return str(code)
    raise AxisProtocolError(f"{operation}: the answer's 'ErrorCode' is not text")


def _first_meaningful(chunks: Iterator[bytes]) -> bytes:
    """Bytes up to and including the first chunk with something besides BOM and whitespace."""
    seen = b""
    for chunk in chunks:
        seen += chunk
        if seen.lstrip(b"\xef\xbb\xbf \t\r\n"):
            return seen
        if len(seen) > 1 << 16:
            break
    return seen


def _copy(first: bytes, chunks: Iterator[bytes], sink: Sink) -> None:
    sink(first)
    for chunk in chunks:
        sink(chunk)


def _body_preview(response: httpx.Response) -> str:
    """At most 2 KiB of an error answer's body, read and cleaned for a message."""
    data = b""
    for chunk in response.iter_bytes(2048):
        data += chunk
        if len(data) >= 2048:
            break
    return clean_desc(data[:2048].decode("utf-8", "replace"))[:200]


def _preview(raw: bytes) -> str:
    text = clean_desc(raw[:200].decode("utf-8", "replace"))
    return repr(text[:120]) if text else "(empty)"


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii', 'replace')}"


def _short(exc: BaseException) -> str:
    return clean_desc(str(exc) or type(exc).__name__)
