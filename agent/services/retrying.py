"""Retries of axis calls: the configuration's policy, and the verdict on one failed attempt.

The rules are :mod:`agent.core.retry`'s (exponential backoff with jitter, Retry-After, caps on
attempts and age; transport errors retry, rejections give up). What the journal keeps of an item
(``attempts``, ``created_at``, ``last_error``) is turned into the core's ``RetryState`` here:

* failed attempts so far = attempts started minus the one that just failed;
* the first attempt is taken to be the item's creation (pickup or queueing is followed at once
  by the first attempt, so the age limit counts from when the văn thư handed it over), or its
  last re-queue by an operator (``lienthong-agent retry`` starts the count again);
* authentication failures in a row = the failed attempts, when the previous error was one too.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Protocol

from agent.config.schema import AgentConfig
from agent.core.lifecycle import Kind
from agent.core.rejection import RejectionKind
from agent.core.retry import Decision, Jitter, RetryPolicy, RetryState, backoff, next_step
from agent.errors import AxisAuthError
from agent.journal.port import Journal
from agent.journal.records import ErrorInfo


def retry_policy(config: AgentConfig) -> RetryPolicy:
    """The :class:`RetryPolicy` of the ``retry`` section (server-error codes are retried)."""
    section = config.retry
    retryable = frozenset(
        code for code, info in config.axis.error_table().items()
        if info.kind is RejectionKind.SERVER_ERROR
    )
    return RetryPolicy(
        base_delay=section.backoff_base_seconds,
        max_delay=section.backoff_cap_seconds,
        jitter=Jitter(section.jitter.value),
        max_attempts=section.max_attempts,
        max_age=dt.timedelta(seconds=section.max_age_seconds),
        retryable_codes=retryable,
        honour_retry_after=section.honour_retry_after,
        max_retry_after=section.retry_after_cap_seconds,
    )


@dataclass(frozen=True, slots=True)
class ItemHistory:
    """What the journal knows of an item's attempts."""

    attempts: int  # attempts started, this one included
    created_at: dt.datetime
    last_error: ErrorInfo | None


REQUEUE_EVENTS = frozenset({"requeued", "requeued-signed", "requeued-built"})


class _Item(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def created_at(self) -> dt.datetime: ...


def first_attempt(journal: Journal, kind: Kind, item: _Item) -> dt.datetime:
    """When the current series of attempts began: creation, or the last operator re-queue
    (read from the item's timeline, only after a failure)."""
    requeues = [e.at for e in journal.timeline(kind, item.id) if e.event in REQUEUE_EVENTS]
    return max([item.created_at, *requeues])


def decide(
    policy: RetryPolicy, history: ItemHistory, error: BaseException, now: dt.datetime,
    rng: random.Random,
) -> Decision:
    """Retry (and when) or give up, after the attempt that raised ``error``."""
    failed_before = max(history.attempts - 1, 0)
    previous_auth = (history.last_error or {}).get("code") == AxisAuthError.code
    state = RetryState(
        attempts=failed_before,
        first_attempt_at=history.created_at,
        auth_failures=failed_before if previous_auth else 0,
    )
    return next_step(policy, state, error, now=now, rng=rng)


def later(
    policy: RetryPolicy, attempts: int, now: dt.datetime, rng: random.Random,
    *, at_least: float = 0.0,
) -> dt.datetime:
    """When to try a step again that is never given up (fetch, acknowledge, deliver): the same
    backoff, without the caps on attempts and age."""
    delay = max(backoff(policy, max(attempts, 1), 0.0, rng), at_least)
    return now + dt.timedelta(seconds=delay)
