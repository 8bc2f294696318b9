"""XroadVnpt request signing, both sides (AXIS.md §5.2, §5.3).

Client side, :func:`sign_request` builds the exact header list the VNPT SDK sends:

1. the signed fields are ``systemid``, the call's parameters in the given order, ``timestamp`` and
   ``Content-Type`` (the order of ``examples/hmac-vector.json``);
2. each field ``k: v`` is sent as the header ``XroadVnpt-k: v`` (``Content-Type`` also plain, just
   before its prefixed copy) and becomes the JSON member ``"XroadVnpt-k": "v"``;
3. ``XroadVnpt-sign-header`` is that compact JSON object (non-ASCII raw), ``XroadVnpt-hash-header``
   the lowercase hex HMAC-SHA256 of it under the shared secret, ``XroadVnpt-sign-header-key`` the
   ``;``-joined field names; then ``User-Agent`` and ``XroadVnpt-version``.

Server side, :func:`verify_request` checks a received request the way §5.2 describes, tolerant of
every quirk of §5.3: header names in any case, members in any order (the sign-header is never
rebuilt: the HMAC is recomputed over the received text as is), parameters left over from earlier
calls, a frozen or old timestamp (no skew check unless asked), ``docid``/``docId``, no
``servicetype``. Only parameters inside the signed JSON are returned; each must equal its header.

Secrets travel wrapped in :class:`Secret`, whose ``repr`` hides the value, so that neither
messages nor tracebacks that print local variables can show it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from agent.errors import RequestAuthError

PREFIX = "XroadVnpt-"
SIGN_HEADER_KEY = "XroadVnpt-sign-header-key"
SIGN_HEADER = "XroadVnpt-sign-header"
HASH_HEADER = "XroadVnpt-hash-header"
VERSION_HEADER = "XroadVnpt-version"
SDK_USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
SDK_VERSION = "3.0.201608"
#: Vietnam local time (ICT, no daylight saving): the SDK stamps requests in local time.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")

_TIMESTAMP_RE = re.compile(r"^(\d{2})(\d{2})(\d{4})T(\d{2})(\d{2})(\d{2})\+(\d{4})$")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_NOT_PARAMS = {h.lower() for h in (SIGN_HEADER_KEY, SIGN_HEADER, HASH_HEADER, VERSION_HEADER)}
_MAX_SHOWN = 60

Header = tuple[str, str]


class Secret:
    """A shared secret whose value never appears in ``repr``, ``str`` or equality traces."""

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes) -> None:
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if not raw:
            raise ValueError("the secret is empty")
        self._value = raw

    def reveal(self) -> bytes:
        """The secret's UTF-8 bytes, for the HMAC key only."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not picklable")


# --- client side --------------------------------------------------------------------------------


def vxp_timestamp(now: datetime, tz: timezone = VIETNAM_TZ) -> str:
    """``ddMMyyyy'T'HHmmss'+'SSSS``: local time, a literal ``+``, milliseconds on 4 digits.

    An aware ``now`` is first converted to ``tz`` (Vietnam time); a naive one is taken as local.
    """
    local = now.astimezone(tz) if now.tzinfo is not None else now
    return local.strftime("%d%m%YT%H%M%S") + f"+{local.microsecond // 1000:04d}"


def parse_vxp_timestamp(text: str, tz: timezone = VIETNAM_TZ) -> datetime:
    """The aware datetime of a ``vxp_timestamp`` (local time in ``tz``); ValueError if malformed."""
    match = _TIMESTAMP_RE.match(text)
    if match is None:
        raise ValueError(f"not a ddMMyyyyTHHmmss+SSSS timestamp: {_shown(text)}")
    day, month, year, hour, minute, second, millis = (int(g) for g in match.groups())
    if millis > 999:
        raise ValueError(f"milliseconds out of range in timestamp {_shown(text)}")
    return datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=tz)


def sign_header_text(fields: Sequence[Header]) -> str:
    """The compact JSON object the HMAC covers: ``{"XroadVnpt-k":"v",...}`` in field order."""
    members = ",".join(
        f"{_json_str(PREFIX + name)}:{_json_str(value)}" for name, value in fields
    )
    return "{" + members + "}"


def hmac_hex(secret: Secret, text: str) -> str:
    """Lowercase hex HMAC-SHA256 of UTF-8 ``text`` keyed with the secret."""
    return hmac.new(secret.reveal(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_request(
    *,
    systemid: str,
    secret: Secret,
    timestamp: str,
    content_type: str,
    params: Sequence[Header] | Mapping[str, str] = (),
    user_agent: str = SDK_USER_AGENT,
    version: str = SDK_VERSION,
) -> list[Header]:
    """The exact headers of one signed call, in the order the SDK sends them (hmac-vector.json)."""
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    _check_param_names(pairs)
    fields = [("systemid", systemid), *pairs, ("timestamp", timestamp)]
    fields.append(("Content-Type", content_type))
    text = sign_header_text(fields)
    headers: list[Header] = []
    for name, value in fields:
        if name == "Content-Type":
            headers.append(("Content-Type", value))
        headers.append((PREFIX + name, value))
    headers += [
        (SIGN_HEADER_KEY, ";".join(name for name, _ in fields)),
        (SIGN_HEADER, text),
        (HASH_HEADER, hmac_hex(secret, text)),
        ("User-Agent", user_agent),
        (VERSION_HEADER, version),
    ]
    return headers


def _check_param_names(pairs: Sequence[Header]) -> None:
    reserved = {"systemid", "timestamp", "content-type"}
    seen: set[str] = set()
    for name, _ in pairs:
        folded = name.lower()
        if folded in reserved or folded in seen or not name or ";" in name:
            raise ValueError(f"parameter name {name!r} is reserved, repeated or not allowed")
        seen.add(folded)


def hash_file_hex(digest: bytes, *, padded: bool = False) -> str:
    """The ``hash-file`` value of a SHA-256 digest.

    ``padded=False`` is the SDK style (Java ``Integer.toHexString`` per byte: no leading zero, so it
    can be shorter than 64 characters); ``padded=True`` is the plain 64-character hex.
    """
    if padded:
        return digest.hex()
    return "".join(format(byte, "x") for byte in digest)


def hash_file_matches(received: str, digest: bytes) -> bool:
    """True when ``received`` is the digest in either the padded or the SDK (unpadded) style."""
    value = received.strip().lower().encode("ascii", "replace")
    candidates = (hash_file_hex(digest, padded=True), hash_file_hex(digest, padded=False))
    found = False
    for candidate in candidates:
        found |= hmac.compare_digest(value, candidate.encode("ascii"))
    return found


# --- server side --------------------------------------------------------------------------------


class SignedParams(Mapping[str, str]):
    """The parameters found in the signed JSON, looked up case-insensitively, prefix removed."""

    __slots__ = ("_items",)

    def __init__(self, pairs: Iterable[Header]) -> None:
        self._items: dict[str, Header] = {name.lower(): (name, value) for name, value in pairs}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __repr__(self) -> str:
        return f"SignedParams({dict(self._items.values())!r})"


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """What a verified request proves: who sent it and the parameters covered by the signature."""

    systemid: str
    params: SignedParams
    #: ``XroadVnpt-*`` headers that came without a signature: ignored, listed for logs.
    unsigned: tuple[str, ...] = field(default=())


RawHeaders = Iterable[tuple[str | bytes, str | bytes]] | Mapping[str, str]
SecretLookup = Callable[[str], Secret | None]


def verify_request(
    headers: RawHeaders,
    secrets: SecretLookup,
    *,
    now: datetime | None = None,
    max_skew: timedelta | None = None,
    tz: timezone = VIETNAM_TZ,
) -> VerifiedRequest:
    """Check an XroadVnpt-signed request; raise :class:`RequestAuthError` naming the failed check.

    ``headers`` are (name, value) pairs as received: ``bytes`` (ASGI) or ``str`` decoded as UTF-8.
    ``secrets`` maps a system id to its secret (``dict.get`` will do). The timestamp is checked only
    when both ``now`` and ``max_skew`` are given.
    """
    received = _ReceivedHeaders(headers)
    systemid = received.require("XroadVnpt-systemid")
    sign_text = received.require(SIGN_HEADER)
    sent_hash = received.require(HASH_HEADER)
    secret = secrets(systemid)
    if secret is None:
        raise RequestAuthError(
            f"unknown system id {_shown(systemid)}: no secret is configured for it",
            hint="register the system id and its secret on the axis",
        )
    _check_mac(secret, received.raw(SIGN_HEADER), sent_hash, systemid)
    signed = _parse_signed(sign_text)
    _check_members(signed, received)
    params = SignedParams((name[len(PREFIX) :], value) for name, value in signed)
    if params.get("systemid") != systemid:
        raise RequestAuthError("the system id is not covered by the signature (sign-header)")
    if now is not None and max_skew is not None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        _check_skew(params.get("timestamp"), now, max_skew, tz)
    unsigned = tuple(
        name for name in received.prefixed_names()
        if name[len(PREFIX) :] not in params and name.lower() not in _NOT_PARAMS
    )
    return VerifiedRequest(systemid, params, unsigned)


class _ReceivedHeaders:
    """Received headers by lower-cased name: the raw bytes (for the HMAC) and the text."""

    def __init__(self, headers: RawHeaders) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        self._raw: dict[str, tuple[str, bytes]] = {}
        for name, value in pairs:
            self._add(_text(name, "header name"), _bytes(value))

    def _add(self, name: str, value: bytes) -> None:
        key = name.lower()
        earlier = self._raw.get(key)
        if earlier is not None and earlier[1] != value:
            raise RequestAuthError(f"header {_shown(name)} was sent twice with different values")
        self._raw[key] = (name, value)

    def raw(self, name: str) -> bytes:
        return self._raw[name.lower()][1]

    def get(self, name: str) -> str | None:
        found = self._raw.get(name.lower())
        return None if found is None else _text(found[1], f"header {name}")

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise RequestAuthError(f"header {name} is missing: the request is not XroadVnpt-signed")
        return value

    def prefixed_names(self) -> list[str]:
        return [name for name, _ in self._raw.values() if name.lower().startswith(PREFIX.lower())]


def _check_mac(secret: Secret, sign_raw: bytes, sent_hash: str, systemid: str) -> None:
    # The expected HMAC lives only inside _mac_matches, so no frame that raises holds it.
    if not _HEX64.match(sent_hash.strip()):
        raise RequestAuthError(
            f"bad signature from {_shown(systemid)}: {HASH_HEADER} is not 64 hex characters"
        )
    if not _mac_matches(secret, sign_raw, sent_hash.strip().lower().encode("ascii")):
        raise RequestAuthError(
            f"bad signature from {_shown(systemid)}: {HASH_HEADER} does not match the "
            "HMAC-SHA256 of the received sign-header",
            hint="the system id and secret must be the pair the axis issued",
        )


def _mac_matches(secret: Secret, sign_raw: bytes, sent: bytes) -> bool:
    return hmac.compare_digest(
        hmac.new(secret.reveal(), sign_raw, hashlib.sha256).hexdigest().encode("ascii"), sent
    )


class _Members(list[tuple[str, object]]):
    """The members of a JSON object, in order, duplicates kept."""


def _parse_signed(text: str) -> list[Header]:
    try:
        pairs = json.loads(text, object_pairs_hook=_Members)
    except ValueError as exc:
        msg = getattr(exc, "msg", "malformed")
        raise RequestAuthError(f"{SIGN_HEADER} is not JSON: {msg}") from None
    if not isinstance(pairs, _Members) or not all(
        isinstance(value, str) for _, value in pairs
    ):
        raise RequestAuthError(f"{SIGN_HEADER} must be a JSON object whose values are strings")
    seen: set[str] = set()
    for name, _ in pairs:
        if not name.lower().startswith(PREFIX.lower()) or len(name) == len(PREFIX):
            raise RequestAuthError(f"{SIGN_HEADER} member {_shown(name)} is not 'XroadVnpt-<name>'")
        if name.lower() in seen:
            raise RequestAuthError(f"{SIGN_HEADER} names {_shown(name)} twice")
        seen.add(name.lower())
    return [(PREFIX + name[len(PREFIX) :], str(value)) for name, value in pairs]


def _check_members(signed: list[Header], received: _ReceivedHeaders) -> None:
    for name, value in signed:
        header = received.get(name)
        if header is None:
            raise RequestAuthError(
                f"header/signed-value mismatch: {_shown(name)} is signed but was not sent"
            )
        if header != value:
            raise RequestAuthError(
                f"header/signed-value mismatch: header {_shown(name)} differs from its signed value"
            )


def _check_skew(stamp: str | None, now: datetime, max_skew: timedelta, tz: timezone) -> None:
    if stamp is None:
        raise RequestAuthError("timestamp skew check: the request carries no signed timestamp")
    try:
        sent = parse_vxp_timestamp(stamp, tz)
    except ValueError as exc:
        raise RequestAuthError(f"timestamp skew check: {exc}") from None
    skew = abs(now - sent)
    if skew > max_skew:
        raise RequestAuthError(
            f"timestamp skew check: {_shown(stamp)} is {int(skew.total_seconds())} s away from "
            f"the server clock (allowed: {int(max_skew.total_seconds())} s)",
            hint="synchronise the client clock (NTP) and sign each request with a fresh timestamp",
        )


# --- helpers ------------------------------------------------------------------------------------


def _json_str(value: str) -> str:
    """A JSON string literal: ``"`` and ``\\`` (and control characters) escaped, non-ASCII raw."""
    return json.dumps(value, ensure_ascii=False)


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _text(value: str | bytes, what: str) -> str:
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestAuthError(f"{what} is not valid UTF-8") from None


def _shown(text: str) -> str:
    cut = text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"
    return repr(cut)
