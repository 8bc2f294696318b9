"""Prometheus metrics in a registry of their own, and the small API the daemon updates them with.

Series (all prefixed ``lienthong_``; labels in brackets):

- ``documents{direction,state}``: documents in the journal per state (gauge, set from the journal)
- ``documents_finished_total{direction,outcome}``: documents that reached a final state
- ``queue_depth{queue}``: items waiting in a queue
- ``oldest_pending_age_seconds{queue}``: age of the oldest waiting item, computed at scrape time
- ``upload_duration_seconds{outcome}``: sendEdoc duration (histogram)
- ``poll_duration_seconds{kind}``: one poll of the axis (histogram)
- ``retries_total{operation}``: retries scheduled after a transient failure
- ``axis_errors_total{operation,code}``: failed axis calls by ErrorCode (or transport/http_NNN)
- ``certificate_days_to_expiry{certificate}``: days left on a certificate (negative: expired)
- ``last_successful_poll_timestamp_seconds{kind}``: Unix time of the last successful poll
- ``build_info{version}`` (always 1), ``start_time_seconds``
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

PREFIX: Final = "lienthong"
UPLOAD_BUCKETS: Final = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
POLL_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_CODE_LABEL = re.compile(r"^(\d{1,4}|transport|timeout|rate_limited|protocol|auth|http_\d{3})$")


def error_code_label(code: str) -> str:
    """Keep the ``code`` label bounded: axis codes are short numbers; anything else is ``other``."""
    return code if _CODE_LABEL.match(code) else "other"


class _OldestPending(Collector):
    """Computes ``oldest_pending_age_seconds`` at scrape time from the stored enqueue times."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._oldest: dict[str, float | None] = {}
        self._lock = threading.Lock()

    def set(self, queue: str, enqueued_at: float | None) -> None:
        with self._lock:
            self._oldest[queue] = enqueued_at

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            f"{PREFIX}_oldest_pending_age_seconds",
            "Age of the oldest item waiting in a queue, 0 when the queue is empty",
            labels=["queue"],
        )
        now = self._clock()
        with self._lock:
            for queue, at in sorted(self._oldest.items()):
                family.add_metric([queue], max(0.0, now - at) if at is not None else 0.0)
        yield family


class Metrics:
    """All metric objects of one agent, in their own registry (never the global one)."""

    def __init__(self, version: str = "unknown", clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._clock = clock
        self._states: dict[str, set[str]] = {}
        r = self.registry
        self.documents = Gauge(
            f"{PREFIX}_documents", "Documents in the journal by direction and state",
            ["direction", "state"], registry=r,
        )
        self.documents_finished = Counter(
            f"{PREFIX}_documents_finished", "Documents that reached a final state",
            ["direction", "outcome"], registry=r,
        )
        self.queue_depth = Gauge(
            f"{PREFIX}_queue_depth", "Items waiting in a queue", ["queue"], registry=r
        )
        self.oldest_pending = _OldestPending(clock)
        r.register(self.oldest_pending)
        self.upload_duration = Histogram(
            f"{PREFIX}_upload_duration_seconds", "Duration of sendEdoc uploads",
            ["outcome"], buckets=UPLOAD_BUCKETS, registry=r,
        )
        self.poll_duration = Histogram(
            f"{PREFIX}_poll_duration_seconds", "Duration of one poll of the axis",
            ["kind"], buckets=POLL_BUCKETS, registry=r,
        )
        self.retries = Counter(
            f"{PREFIX}_retries", "Retries scheduled after a transient failure",
            ["operation"], registry=r,
        )
        self.axis_errors = Counter(
            f"{PREFIX}_axis_errors", "Failed axis calls by error code",
            ["operation", "code"], registry=r,
        )
        self.certificate_days = Gauge(
            f"{PREFIX}_certificate_days_to_expiry",
            "Days until a certificate expires (negative: expired)", ["certificate"], registry=r,
        )
        self.last_poll = Gauge(
            f"{PREFIX}_last_successful_poll_timestamp_seconds",
            "Unix time of the last successful poll of the axis", ["kind"], registry=r,
        )
        Gauge(f"{PREFIX}_build_info", "Version of the agent", ["version"], registry=r).labels(
            version
        ).set(1)
        Gauge(f"{PREFIX}_start_time_seconds", "Unix time the agent started", registry=r).set(
            clock()
        )
        self._last_poll: dict[str, float] = {}

    def set_documents(self, direction: str, counts: Mapping[str, int]) -> None:
        """Set the per-state document counts of one direction; states not given drop to 0."""
        seen = self._states.setdefault(direction, set())
        seen.update(counts)
        for state in seen:
            self.documents.labels(direction, state).set(counts.get(state, 0))

    def document_finished(self, direction: str, outcome: str) -> None:
        """Count a document that reached a final state (``sent``, ``delivered``, ``failed``...)."""
        self.documents_finished.labels(direction, outcome).inc()

    def set_queue(self, queue: str, depth: int, oldest_enqueued_at: float | None) -> None:
        """Depth of a queue and the Unix time its oldest item was enqueued (None: empty)."""
        self.queue_depth.labels(queue).set(depth)
        self.oldest_pending.set(queue, oldest_enqueued_at if depth else None)

    def observe_upload(self, seconds: float, outcome: str = "ok") -> None:
        """Record one upload's duration (``outcome``: ok, retry, failed)."""
        self.upload_duration.labels(outcome).observe(seconds)

    def observe_poll(self, kind: str, seconds: float, *, ok: bool = True) -> None:
        """Record one poll (``kind``: edoc, status, sent, directory); a success stamps its time."""
        self.poll_duration.labels(kind).observe(seconds)
        if ok:
            now = self._clock()
            self._last_poll[kind] = now
            self.last_poll.labels(kind).set(now)

    def retry_scheduled(self, operation: str) -> None:
        """Count a retry of an axis operation."""
        self.retries.labels(operation).inc()

    def axis_error(self, operation: str, code: str) -> None:
        """Count a failed axis call by its ErrorCode (or transport, timeout, http_503...)."""
        self.axis_errors.labels(operation, error_code_label(code)).inc()

    def set_certificate_expiry(self, certificate: str, not_after: datetime) -> None:
        """Days left until ``not_after`` (an aware datetime) for a named certificate."""
        days = (not_after.timestamp() - self._clock()) / 86400
        self.certificate_days.labels(certificate).set(round(days, 2))

    def last_successful_poll(self, kind: str) -> float | None:
        """Unix time of the last successful poll of a kind, or None."""
        return self._last_poll.get(kind)

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The exposition text for an HTTP ``Accept`` header, and its content type."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type
