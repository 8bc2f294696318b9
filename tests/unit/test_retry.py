"""Retry policy: classification, backoff with jitter, caps, Retry-After (agent.core.retry)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.core.retry import (
    CLASSIFICATION,
    Action,
    Jitter,
    Outcome,
    RetryPolicy,
    RetryState,
    backoff,
    classify,
    next_step,
    parse_retry_after,
)
from agent.errors import (
    AxisAuthError,
    AxisProtocolError,
    AxisRateLimitedError,
    AxisRejectedError,
    AxisTransportError,
    DiskFullError,
    JournalError,
    StorageError,
)

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
RESET = AxisTransportError("connection reset by the axis")


def rejected(code: str) -> AxisRejectedError:
    return AxisRejectedError(f"the axis refused: {code}", error_code=code, error_desc="x")


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (AxisTransportError("refused"), Outcome.RETRY),
        (AxisRateLimitedError("429", retry_after=3), Outcome.RETRY),
        (AxisProtocolError("not JSON"), Outcome.RETRY),
        (AxisAuthError("15", error_code="15"), Outcome.AUTH),
        (rejected("20"), Outcome.RETRY),
        (rejected("21"), Outcome.RETRY),
        (rejected("10"), Outcome.GIVE_UP),
        (rejected("18"), Outcome.GIVE_UP),
        (rejected("22"), Outcome.GIVE_UP),
        (rejected(""), Outcome.GIVE_UP),
        (DiskFullError("ENOSPC"), Outcome.RETRY),
        (StorageError("permission denied"), Outcome.GIVE_UP),
        (JournalError("corrupt"), Outcome.GIVE_UP),
        (ValueError("bug"), Outcome.GIVE_UP),
    ],
)
def test_classification(error: BaseException, outcome: Outcome) -> None:
    """Transport, 429, garbled answers and system errors retry; rejections and bugs do not."""
    assert classify(error) is outcome


def test_retryable_codes_are_a_setting() -> None:
    """An operator can declare another rejection code transient, and unlist the default one."""
    policy = RetryPolicy(retryable_codes=frozenset({"23"}))
    assert classify(rejected("23"), policy) is Outcome.RETRY
    assert classify(rejected("20"), policy) is Outcome.GIVE_UP
    assert classify(AxisAuthError("x", error_code="23"), policy) is Outcome.AUTH


def test_classification_table_has_no_shadowed_entry() -> None:
    """No entry is a subclass of an earlier one (it could never match)."""
    for i, (later, _) in enumerate(CLASSIFICATION):
        assert not any(issubclass(later, earlier) for earlier, _ in CLASSIFICATION[:i])


def test_backoff_without_jitter_doubles_up_to_the_cap() -> None:
    """base 5, x2, cap 60: 5, 10, 20, 40, 60, 60."""
    policy = RetryPolicy(base_delay=5, max_delay=60, jitter=Jitter.NONE)
    rng = random.Random(0)
    assert [backoff(policy, n, 0, rng) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


def test_backoff_survives_huge_attempt_counts() -> None:
    """A journal that says 10 000 attempts does not overflow the exponent."""
    policy = RetryPolicy(jitter=Jitter.NONE)
    assert backoff(policy, 10_000, 0, random.Random(0)) == policy.max_delay


@given(st.integers(1, 60), st.integers(0, 2**32))
def test_full_jitter_stays_in_its_window(attempts: int, seed: int) -> None:
    """Full jitter is uniform in [0, min(max_delay, base * 2^(n-1))]."""
    policy = RetryPolicy(base_delay=2, max_delay=300)
    delay = backoff(policy, attempts, 0, random.Random(seed))
    assert 0 <= delay <= min(300, 2 * 2 ** (attempts - 1))


@given(st.integers(1, 60), st.integers(0, 2**32))
def test_equal_jitter_stays_in_its_window(attempts: int, seed: int) -> None:
    """Equal jitter is in [half, whole] of min(max_delay, base * 2^(n-1))."""
    policy = RetryPolicy(base_delay=2, max_delay=300, jitter=Jitter.EQUAL)
    ceiling = min(300, 2 * 2 ** (attempts - 1))
    assert ceiling / 2 <= backoff(policy, attempts, 0, random.Random(seed)) <= ceiling


@given(st.floats(0, 1000), st.integers(0, 2**32))
def test_decorrelated_jitter_stays_in_its_window(previous: float, seed: int) -> None:
    """Decorrelated jitter is in [base, min(max_delay, 3 * previous)], previous >= base."""
    policy = RetryPolicy(base_delay=2, max_delay=300, jitter=Jitter.DECORRELATED)
    delay = backoff(policy, 3, previous, random.Random(seed))
    assert 2 <= delay <= min(300, 3 * max(previous, 2))


def test_the_rng_makes_it_deterministic() -> None:
    """The same seed gives the same schedule; another seed a different one."""
    def schedule(seed: int) -> list[float]:
        rng, state, out = random.Random(seed), RetryState.start(T0), []
        for _ in range(5):
            decision = next_step(RetryPolicy(), state, RESET, now=T0, rng=rng)
            state = decision.state
            out.append(decision.delay)
        return out

    assert schedule(1) == schedule(1) != schedule(2)


def test_a_retry_records_the_attempt_and_when_to_try_again() -> None:
    """The new state counts the attempt and keeps the delay; not_before = now + delay."""
    policy = RetryPolicy(jitter=Jitter.NONE, base_delay=5)
    decision = next_step(policy, RetryState(), RESET, now=T0, rng=random.Random(0))
    assert decision.action is Action.RETRY and decision.retry
    assert decision.state == RetryState(attempts=1, first_attempt_at=T0, last_delay=5.0)
    assert decision.delay == 5.0 and decision.not_before == T0 + timedelta(seconds=5)
    assert "attempt 1 failed, retrying in 5.0 s" in decision.reason
    assert "connection reset" in decision.reason


def test_permanent_error_gives_up_at_once_with_the_axis_reason() -> None:
    """An unknown recipient (18) is not retried; the reason quotes the rejection."""
    error = rejected("18")
    decision = next_step(RetryPolicy(), RetryState(), error, now=T0, rng=random.Random(0))
    assert decision.action is Action.GIVE_UP
    assert decision.reason.startswith("not retried") and "the axis refused: 18" in decision.reason
    assert decision.state.attempts == 1


def test_auth_failures_give_up_after_a_few_with_a_clear_reason() -> None:
    """Wrong credentials are retried twice, then given up on with 'check the credentials'."""
    policy = RetryPolicy(max_auth_failures=3)
    error = AxisAuthError("Sai SystemId hoặc SecretKey", error_code="15")
    state, actions = RetryState.start(T0), []
    for _ in range(3):
        decision = next_step(policy, state, error, now=T0, rng=random.Random(0))
        state = decision.state
        actions.append(decision.action)
    assert actions == [Action.RETRY, Action.RETRY, Action.GIVE_UP]
    assert "3 authentication failures" in decision.reason
    assert "check the credentials" in decision.reason


def test_attempt_cap() -> None:
    """With max_attempts=4 the 4th failure gives up and says so."""
    policy = RetryPolicy(max_attempts=4)
    state, rng = RetryState.start(T0), random.Random(0)
    for expected in [Action.RETRY] * 3 + [Action.GIVE_UP]:
        decision = next_step(policy, state, RESET, now=T0, rng=rng)
        assert decision.action is expected
        state = decision.state
    assert decision.reason.startswith("gave up after 4 attempts; last error: connection reset")


def test_age_cap() -> None:
    """An item first tried max_age ago is given up, whatever its attempt count."""
    policy = RetryPolicy(max_age=timedelta(hours=1))
    late = T0 + timedelta(hours=1)
    decision = next_step(policy, RetryState.start(T0), RESET, now=late, rng=random.Random(0))
    assert decision.action is Action.GIVE_UP
    assert "gave up after 60 min of retries (limit 60 min)" in decision.reason


def test_last_wait_is_clamped_to_the_age_limit() -> None:
    """A backoff that would overshoot the age limit is shortened to end at the limit."""
    policy = RetryPolicy(max_age=timedelta(minutes=10), jitter=Jitter.NONE, base_delay=300,
                         max_delay=900)
    now = T0 + timedelta(minutes=8)
    state = RetryState(attempts=1, first_attempt_at=T0)
    decision = next_step(policy, state, RESET, now=now, rng=random.Random(0))
    assert decision.retry and decision.delay == 120
    assert decision.not_before == T0 + timedelta(minutes=10)


def test_retry_after_is_honoured_as_a_minimum() -> None:
    """HTTP 429 with Retry-After 600 waits at least 600 s even beyond max_delay."""
    policy = RetryPolicy(max_delay=60, base_delay=1, jitter=Jitter.NONE)
    error = AxisRateLimitedError("429", retry_after=600)
    decision = next_step(policy, RetryState.start(T0), error, now=T0, rng=random.Random(0))
    assert decision.retry and decision.delay == 600


def test_retry_after_is_cut_to_its_cap() -> None:
    """A Retry-After above max_retry_after waits only max_retry_after."""
    policy = RetryPolicy(base_delay=1, jitter=Jitter.NONE, max_retry_after=120)
    error = AxisRateLimitedError("429", retry_after=5000)
    decision = next_step(policy, RetryState.start(T0), error, now=T0, rng=random.Random(0))
    assert decision.retry and decision.delay == 120


def test_retry_after_shorter_than_backoff_keeps_the_backoff() -> None:
    """Retry-After 0 does not shorten the wait below the backoff."""
    policy = RetryPolicy(base_delay=7, jitter=Jitter.NONE)
    error = AxisRateLimitedError("429", retry_after=0)
    decision = next_step(policy, RetryState.start(T0), error, now=T0, rng=random.Random(0))
    assert decision.delay == 7


def test_retry_after_can_be_ignored() -> None:
    """honour_retry_after=False uses the plain backoff."""
    policy = RetryPolicy(base_delay=7, jitter=Jitter.NONE, honour_retry_after=False)
    error = AxisRateLimitedError("429", retry_after=600)
    decision = next_step(policy, RetryState.start(T0), error, now=T0, rng=random.Random(0))
    assert decision.delay == 7


def test_retry_after_beyond_the_age_limit_gives_up() -> None:
    """When the axis asks for a wait past the age limit, give up and say why."""
    policy = RetryPolicy(max_age=timedelta(hours=1), max_retry_after=86400)
    error = AxisRateLimitedError("429", retry_after=7200)
    decision = next_step(policy, RetryState.start(T0), error, now=T0, rng=random.Random(0))
    assert decision.action is Action.GIVE_UP
    assert "asked to wait 7200 s, beyond the retry age limit" in decision.reason


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Tue, 24 Nov 2026 02:01:00 GMT", 60.0),
        ("Tue, 24 Nov 2026 01:00:00 GMT", 0.0),
        ("Tue, 24 Nov 2026 09:02:00 +0700", 120.0),
        ("9" * 40, 10 * 365 * 24 * 3600.0),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("", None),
        (None, None),
        ("٣", None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    """Delta-seconds and HTTP-dates (any zone) parse; past dates give 0; garbage gives None."""
    assert parse_retry_after(value, now=T0) == seconds


@pytest.mark.parametrize(
    "kwargs",
    [{"base_delay": 0}, {"base_delay": 10, "max_delay": 5}, {"multiplier": 0.5},
     {"max_attempts": 0}, {"max_auth_failures": 0}, {"max_age": timedelta(0)},
     {"max_retry_after": -1}],
)
def test_policy_rejects_nonsense(kwargs: dict[str, object]) -> None:
    """A policy that could never retry sensibly is refused when built."""
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@given(
    st.sampled_from(list(Jitter)),
    st.integers(0, 2**32),
    st.lists(st.sampled_from(["reset", "429", "garbled", "auth"]), min_size=1, max_size=60),
)
def test_any_failure_sequence_ends_within_the_caps(
    jitter: Jitter, seed: int, kinds: list[str]
) -> None:
    """Following the decisions, retries never exceed max_attempts nor wait past max_age."""
    errors = {
        "reset": RESET,
        "429": AxisRateLimitedError("429", retry_after=30),
        "garbled": AxisProtocolError("html"),
        "auth": AxisAuthError("15", error_code="15"),
    }
    policy = RetryPolicy(jitter=jitter, max_attempts=10, max_age=timedelta(minutes=30))
    rng, state, now = random.Random(seed), RetryState.start(T0), T0
    for kind in kinds:
        decision = next_step(policy, state, errors[kind], now=now, rng=rng)
        state = decision.state
        if not decision.retry:
            break
        assert decision.not_before is not None
        now = decision.not_before
    assert state.attempts <= policy.max_attempts
    assert now <= T0 + policy.max_age
    assert state.auth_failures <= policy.max_auth_failures
