"""When to try a failed axis call again, and how long to wait (pure: ``now`` and ``rng`` passed in).

The rules, in the order :func:`next_step` applies them to a failed attempt::

    classify(error)                                  see CLASSIFICATION (first match wins)
      GIVE_UP ................................................ give up: permanent error
      AUTH    -> auth failures >= max_auth_failures ? ....... give up: credentials refused
      RETRY / AUTH
        -> attempts >= max_attempts ? ........................ give up: too many attempts
        -> now >= first attempt + max_age ? ................. give up: too old
        -> delay = backoff(attempts) with jitter, <= max_delay
           Retry-After given ? delay = max(delay, min(Retry-After, max_retry_after))
        -> now + delay beyond the age limit ?
             because of Retry-After ........................ give up: asked to wait too long
             otherwise ..................................... wait until the age limit (last try)
        -> retry after ``delay`` seconds

Backoff is exponential, ``base_delay * multiplier ** (attempts - 1)`` capped by ``max_delay``, with
"full" jitter (uniform in [0, that]), "equal" jitter (half of it fixed, half uniform),
"decorrelated" jitter (uniform in [base_delay, 3 * previous delay], capped), or none, as in the AWS
architecture blog's "Exponential Backoff And Jitter".

A rejection with one of ``retryable_codes`` (LS-LGSP ``20`` "Lỗi hệ thống" and ``21`` "Lỗi xử lý
file" by default) is retried like a transport error; every other rejection (bad package, unknown
recipient, sender not registered, ...) is final.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum

from agent.errors import (
    AxisAuthError,
    AxisProtocolError,
    AxisRateLimitedError,
    AxisRejectedError,
    AxisTransportError,
    DiskFullError,
)


class Outcome(Enum):
    """What kind of failure an error is."""

    RETRY = "retry"  # transient: try again later
    AUTH = "auth"  # credentials refused: try a few times (the axis may be mid-rotation)
    GIVE_UP = "give-up"  # permanent: trying again cannot help


class Action(Enum):
    RETRY = "retry"
    GIVE_UP = "give-up"


class Jitter(Enum):
    FULL = "full"
    EQUAL = "equal"
    DECORRELATED = "decorrelated"
    NONE = "none"


#: Error type -> outcome; the first entry the error is an instance of wins.
CLASSIFICATION: tuple[tuple[type[BaseException], Outcome], ...] = (
    (AxisAuthError, Outcome.AUTH),
    (AxisRateLimitedError, Outcome.RETRY),
    (AxisTransportError, Outcome.RETRY),  # refused, reset, timed out, HTTP 5xx
    (AxisProtocolError, Outcome.RETRY),  # garbled answers, often a proxy's error page
    (AxisRejectedError, Outcome.GIVE_UP),  # unless its code is in retryable_codes
    (DiskFullError, Outcome.RETRY),  # space can be freed
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The knobs; defaults suit an upload to the national axis."""

    base_delay: float = 5.0
    max_delay: float = 900.0
    multiplier: float = 2.0
    jitter: Jitter = Jitter.FULL
    max_attempts: int = 20
    max_age: timedelta = timedelta(hours=24)
    max_auth_failures: int = 3
    # The SERVER_ERROR codes of the default table in agent.axis.codes (LS-LGSP 20 and 21).
    retryable_codes: frozenset[str] = frozenset({"20", "21"})
    honour_retry_after: bool = True
    max_retry_after: float = 3600.0  # a longer Retry-After is cut to this

    def __post_init__(self) -> None:
        if not 0 < self.base_delay <= self.max_delay:
            raise ValueError("retry delays must satisfy 0 < base_delay <= max_delay")
        if self.multiplier < 1:
            raise ValueError("the backoff multiplier must be at least 1")
        if self.max_attempts < 1 or self.max_auth_failures < 1:
            raise ValueError("max_attempts and max_auth_failures must be at least 1")
        if self.max_age <= timedelta(0) or self.max_retry_after < 0:
            raise ValueError("max_age must be positive and max_retry_after not negative")


@dataclass(frozen=True, slots=True)
class RetryState:
    """What the journal keeps between attempts of one item."""

    attempts: int = 0  # failed attempts so far
    first_attempt_at: datetime | None = None
    auth_failures: int = 0
    last_delay: float = 0.0  # the previous wait, for decorrelated jitter

    @classmethod
    def start(cls, now: datetime) -> RetryState:
        """The state of an item whose first attempt starts at ``now``."""
        return cls(first_attempt_at=now)


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one failed attempt: the new state, what to do, and why (operator text)."""

    action: Action
    state: RetryState
    reason: str
    delay: float = 0.0
    not_before: datetime | None = None

    @property
    def retry(self) -> bool:
        return self.action is Action.RETRY


def classify(error: BaseException, policy: RetryPolicy | None = None) -> Outcome:
    """The outcome of ``error`` by :data:`CLASSIFICATION`; anything unlisted is permanent."""
    codes = (policy or RetryPolicy()).retryable_codes
    if isinstance(error, AxisRejectedError) and not isinstance(error, AxisAuthError):
        return Outcome.RETRY if error.error_code in codes else Outcome.GIVE_UP
    for kind, outcome in CLASSIFICATION:
        if isinstance(error, kind):
            return outcome
    return Outcome.GIVE_UP


def next_step(
    policy: RetryPolicy,
    state: RetryState,
    error: BaseException,
    *,
    now: datetime,
    rng: random.Random,
) -> Decision:
    """Record one failed attempt and decide whether and when to try again."""
    outcome = classify(error, policy)
    state = replace(
        state,
        attempts=state.attempts + 1,
        first_attempt_at=state.first_attempt_at or now,
        auth_failures=state.auth_failures + (outcome is Outcome.AUTH),
    )
    for gate in _GATES:
        reason = gate(policy, state, outcome, now, error)
        if reason is not None:
            return Decision(Action.GIVE_UP, state, reason)
    return _schedule(policy, state, error, now, rng)


def _permanent(
    policy: RetryPolicy, state: RetryState, outcome: Outcome, now: datetime, error: BaseException
) -> str | None:
    if outcome is Outcome.GIVE_UP:
        return f"not retried, trying again cannot help: {_describe(error)}"
    return None


def _auth_exhausted(
    policy: RetryPolicy, state: RetryState, outcome: Outcome, now: datetime, error: BaseException
) -> str | None:
    if outcome is Outcome.AUTH and state.auth_failures >= policy.max_auth_failures:
        return (
            f"gave up after {state.auth_failures} authentication failures: the axis refuses "
            f"this system id or secret; check the credentials ({_describe(error)})"
        )
    return None


def _attempts_exhausted(
    policy: RetryPolicy, state: RetryState, outcome: Outcome, now: datetime, error: BaseException
) -> str | None:
    if state.attempts >= policy.max_attempts:
        return f"gave up after {state.attempts} attempts; last error: {_describe(error)}"
    return None


def _too_old(
    policy: RetryPolicy, state: RetryState, outcome: Outcome, now: datetime, error: BaseException
) -> str | None:
    if now >= _deadline(policy, state):
        return (
            f"gave up after {_human(now - _started(state, now))} of retries "
            f"(limit {_human(policy.max_age)}); last error: {_describe(error)}"
        )
    return None


_Gate = Callable[[RetryPolicy, RetryState, Outcome, datetime, BaseException], str | None]
_GATES: tuple[_Gate, ...] = (_permanent, _auth_exhausted, _attempts_exhausted, _too_old)


def _schedule(
    policy: RetryPolicy, state: RetryState, error: BaseException, now: datetime, rng: random.Random
) -> Decision:
    delay = backoff(policy, state.attempts, state.last_delay, rng)
    asked = retry_after_of(error) if policy.honour_retry_after else None
    if asked is not None:
        asked = min(asked, policy.max_retry_after)
    if asked is not None:
        delay = max(delay, asked)
    left = (_deadline(policy, state) - now).total_seconds()
    if delay > left:
        if asked is not None and asked > left:
            reason = (
                f"gave up: the axis asked to wait {asked:.0f} s, beyond the retry age limit "
                f"({_human(policy.max_age)}); last error: {_describe(error)}"
            )
            return Decision(Action.GIVE_UP, state, reason)
        delay = left
    state = replace(state, last_delay=delay)
    reason = f"attempt {state.attempts} failed, retrying in {delay:.1f} s: {_describe(error)}"
    return Decision(Action.RETRY, state, reason, delay, now + timedelta(seconds=delay))


def backoff(policy: RetryPolicy, attempts: int, last_delay: float, rng: random.Random) -> float:
    """The jittered wait after ``attempts`` failed attempts (>= 1), at most ``max_delay``."""
    exponent = min(max(attempts - 1, 0), 1000)
    ceiling = policy.max_delay
    if policy.multiplier > 1:
        ceiling = min(ceiling, policy.base_delay * policy.multiplier ** min(exponent, 200))
    else:
        ceiling = min(ceiling, policy.base_delay)
    if policy.jitter is Jitter.FULL:
        return rng.uniform(0.0, ceiling)
    if policy.jitter is Jitter.EQUAL:
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)
    if policy.jitter is Jitter.DECORRELATED:
        previous = max(last_delay, policy.base_delay)
        return min(policy.max_delay, rng.uniform(policy.base_delay, previous * 3))
    return ceiling


def retry_after_of(error: BaseException) -> float | None:
    """The Retry-After seconds an error carries (HTTP 429, or 503 with Retry-After), if any."""
    if isinstance(error, AxisRateLimitedError) and error.retry_after is not None:
        return max(0.0, error.retry_after)
    return None


_MAX_RETRY_AFTER = 10 * 365 * 24 * 3600.0


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date; None if unusable.

    A date in the past gives 0. ``now`` must be aware.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(float(text[:12]), _MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), _MAX_RETRY_AFTER)


def _started(state: RetryState, now: datetime) -> datetime:
    return state.first_attempt_at or now


def _deadline(policy: RetryPolicy, state: RetryState) -> datetime:
    assert state.first_attempt_at is not None  # next_step sets it before any gate runs
    return state.first_attempt_at + policy.max_age


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 500 else text[:500] + "…"


def _human(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"
