"""Checks that talk to the axis: reachability and credentials, then the clock against the
axis's HTTP ``Date`` header (read from the same answer)."""

from __future__ import annotations

import datetime as dt
import email.utils

from agent.doctor.context import Context, DateSeen
from agent.doctor.model import Check, error, ok, skipped, warning
from agent.doctor.wiring import HasHeaders
from agent.errors import (
    AxisAuthError,
    AxisProtocolError,
    AxisRateLimitedError,
    AxisRejectedError,
    AxisTransportError,
    ConfigError,
)

#: Clock skew thresholds, seconds. A synchronised clock is within a second or two of the axis
#: (the Date header has whole seconds); 30 s means time synchronisation is not running; beyond
#: 5 minutes the HMAC request timestamps risk refusal and signing times and receipts are wrong.
SKEW_WARNING_SECONDS = 30.0
SKEW_ERROR_SECONDS = 300.0
_NTP_FIX = ("synchronise this machine's clock: `timedatectl set-ntp true` (systemd-timesyncd) or"
            " chrony pointed at your NTP server; then check `timedatectl status`")


def check_axis(ctx: Context) -> Check:
    """One harmless authenticated call (countReceiveEdoc): reachable, and the system id and
    secret accepted. Tells an unreachable axis from refused credentials."""
    assert ctx.config is not None
    if not ctx.network:
        return skipped("axis", "not contacted (--offline)")
    from agent.doctor.wiring import axis_client

    url = ctx.config.axis.operation_url("countReceiveEdoc")

    def seen(response: HasHeaders) -> None:
        ctx.date_seen = DateSeen(response.headers.get("date"), ctx.clock())

    try:
        client, close = axis_client(ctx.config, ctx.environ, ctx.clock, ctx.timeout, seen)
    except ConfigError as exc:
        return error("axis", f"the axis client cannot be set up: {exc.message}",
                     exc.hint or "check the axis section of the configuration", url=url)
    try:
        waiting = client.count_receive_edoc()
    except (AxisTransportError, AxisProtocolError, AxisRejectedError) as exc:
        return _axis_failure(exc, url, ctx.config.axis.system_id)
    finally:
        close()
    return ok("axis", f"reachable at {url}; system id {ctx.config.axis.system_id} accepted"
              f" ({waiting} document(s) waiting)", url=url, documents_waiting=waiting)


def _axis_failure(exc: Exception, url: str, system_id: str) -> Check:
    message = getattr(exc, "message", str(exc))
    if isinstance(exc, AxisAuthError):
        return error("axis", f"reachable, but the axis refused the credentials of system id"
                     f" {system_id}: {message}",
                     "check axis.system_id and the secret (file or credential): they must be"
                     " the pair the axis operator issued", url=url, reachable=True)
    if isinstance(exc, AxisRateLimitedError):
        return warning("axis", f"reachable, but rate limited: {message}",
                       "try again later; if it persists, ask the axis operator", url=url,
                       reachable=True)
    if isinstance(exc, AxisTransportError):
        return error("axis", f"cannot reach the axis at {url}: {message}",
                     "check axis.base_url, DNS, the firewall or proxy towards the axis, and"
                     " axis.tls.ca_bundle for https", url=url, reachable=False)
    if isinstance(exc, AxisProtocolError):
        return error("axis", f"something answered at {url}, but not as the axis does: {message}",
                     "check axis.base_url and axis.path_prefix", url=url, reachable=True)
    return warning("axis", f"reachable, but countReceiveEdoc was refused: {message}",
                   "ask the axis operator whether this system id may call it", url=url,
                   reachable=True)


def check_clock(ctx: Context) -> Check:
    """This machine's clock against the ``Date`` header of the axis's answer."""
    if not ctx.network:
        return skipped("clock", "not compared with the axis (--offline)")
    seen = ctx.date_seen
    if seen is None:
        return skipped("clock", "the axis gave no answer to compare the clock with")
    server = _parse_date(seen.header)
    if server is None:
        return warning("clock", "the axis's answer has no usable Date header; the clock was not"
                       " compared", _NTP_FIX, date_header=seen.header)
    skew = (seen.local - server).total_seconds() - 0.5  # Date drops the fraction: mid-second
    facts = {"skew_seconds": round(skew, 1), "axis_time": server.isoformat(),
             "local_time": seen.local.isoformat()}
    where = f"{_duration(skew)} {'ahead of' if skew > 0 else 'behind'} the axis"
    if abs(skew) >= SKEW_ERROR_SECONDS:
        return error("clock", f"this machine's clock is {where}", _NTP_FIX, **facts)
    if abs(skew) >= SKEW_WARNING_SECONDS:
        return warning("clock", f"this machine's clock is {where}", _NTP_FIX, **facts)
    return ok("clock", f"within {SKEW_WARNING_SECONDS:.0f} s of the axis"
              f" ({skew:+.0f} s)", **facts)


def _parse_date(header: str | None) -> dt.datetime | None:
    if not header:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _duration(seconds: float) -> str:
    whole = round(abs(seconds))
    if whole >= 3600:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    if whole >= 60:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole} s"
