"""The metrics endpoint serves every documented series; /healthz and /readyz follow the checks."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.observability import (
    Health,
    Metrics,
    ObservabilityServer,
    error_code_label,
    freshness_check,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
ROW = re.compile(r"^\| `(lienthong_[a-z_]+)` \| (\w+) \|([^|]*)\|", re.MULTILINE)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def documented() -> list[tuple[str, str, list[str]]]:
    """(series, type, labels) from the metrics table of docs/operations.md."""
    rows = ROW.findall(DOCS.read_text(encoding="utf-8"))
    return [(name, kind, re.findall(r"`(\w+)`", labels)) for name, kind, labels in rows]


@pytest.fixture
def served() -> Iterator[tuple[Metrics, Health, str, Clock]]:
    clock = Clock(1_700_000_000.0)
    metrics, health = Metrics(version="9.9.9", clock=clock), Health()
    server = ObservabilityServer(metrics, health, "127.0.0.1", 0).start()
    host, port = server.address
    yield metrics, health, f"http://{host}:{port}", clock
    server.stop()


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def exercise(metrics: Metrics) -> None:
    """Touch every metric once, as the daemon would."""
    metrics.set_documents("outbound", {"queued": 2, "uploaded": 1})
    metrics.document_finished("outbound", "sent")
    metrics.set_queue("outbox", 3, 1_700_000_000.0 - 120)
    metrics.observe_upload(1.5)
    metrics.observe_poll("edoc", 0.2)
    metrics.retry_scheduled("sendEdoc")
    metrics.axis_error("sendEdoc", "15")
    metrics.set_certificate_expiry("signing", datetime.fromtimestamp(1_700_000_000, UTC)
                                   + timedelta(days=30))


def test_documentation_lists_the_series() -> None:
    """The table in docs/operations.md is found and covers all twelve series."""
    assert len(documented()) == 12


def test_every_documented_series_is_served_with_its_labels(
    served: tuple[Metrics, Health, str, Clock],
) -> None:
    """GET /metrics exposes each documented series, with exactly the documented label names."""
    metrics, _, base, _ = served
    exercise(metrics)
    status, content_type, text = get(base + "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    for name, kind, labels in documented():
        sample = name + ("_count" if kind == "histogram" else "")
        lines = [line for line in text.splitlines() if re.match(rf"{sample}[{{ ]", line)]
        assert lines, f"{name} not served"
        found = set(re.findall(r"(\w+)=\"", lines[0])) - {"le"}
        assert found == set(labels), name


def test_values_follow_the_api(served: tuple[Metrics, Health, str, Clock]) -> None:
    """Ages are computed at scrape time; empty queues read 0; expiry is in days."""
    metrics, _, base, clock = served
    exercise(metrics)
    clock.now += 60
    text = get(base + "/metrics")[2]
    assert 'lienthong_oldest_pending_age_seconds{queue="outbox"} 180.0' in text
    assert 'lienthong_certificate_days_to_expiry{certificate="signing"} 30.0' in text
    assert 'lienthong_axis_errors_total{code="15",operation="sendEdoc"} 1.0' in text
    assert 'lienthong_build_info{version="9.9.9"} 1.0' in text
    metrics.set_queue("outbox", 0, None)
    metrics.set_documents("outbound", {"queued": 0})
    text = get(base + "/metrics")[2]
    assert 'lienthong_oldest_pending_age_seconds{queue="outbox"} 0.0' in text
    assert 'lienthong_documents{direction="outbound",state="uploaded"} 0.0' in text


def test_openmetrics_on_request(served: tuple[Metrics, Health, str, Clock]) -> None:
    """A scraper asking for OpenMetrics gets it."""
    _, _, base, _ = served
    request = urllib.request.Request(
        base + "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        assert response.read().decode().rstrip().endswith("# EOF")


def test_health_and_readiness_follow_the_checks(
    served: tuple[Metrics, Health, str, Clock],
) -> None:
    """/healthz and /readyz answer 200 while checks pass and 503 with each reason when not."""
    metrics, health, base, clock = served
    assert get(base + "/healthz")[0] == 200
    health.add_readiness_check(
        "axis_poll", freshness_check(lambda: metrics.last_successful_poll("edoc"), 900, "poll",
                                     clock)
    )
    status, content_type, body = get(base + "/readyz")
    assert (status, content_type) == (503, "application/json")
    assert json.loads(body) == {"status": "fail", "checks": {"axis_poll": "no poll yet"}}
    metrics.observe_poll("edoc", 0.1)
    assert get(base + "/readyz")[0] == 200
    clock.now += 1200
    assert json.loads(get(base + "/readyz")[2])["checks"]["axis_poll"] == "last poll 1200 s ago"
    assert get(base + "/healthz")[0] == 200  # readiness does not affect liveness


def test_a_raising_check_fails_without_leaking_its_message(
    served: tuple[Metrics, Health, str, Clock],
) -> None:
    """A check that raises is reported by exception type only."""
    _, health, base, _ = served

    def broken() -> str | None:
        raise RuntimeError("password=hunter2")

    health.add_liveness_check("journal", broken)
    status, _, body = get(base + "/healthz")
    assert status == 503 and "hunter2" not in body
    assert json.loads(body)["checks"] == {"journal": "check raised RuntimeError"}


def test_heartbeat_liveness() -> None:
    """The main-loop heartbeat check fails before the first beat and after a long silence."""
    clock = Clock(100.0)
    health = Health(clock=clock)
    health.watch_heartbeat(60)
    assert not health.liveness().ok
    health.beat()
    assert health.liveness().ok
    clock.now += 61
    assert health.liveness().checks == {"main_loop": "main loop silent for 61 s"}


def test_unknown_path_is_404(served: tuple[Metrics, Health, str, Clock]) -> None:
    """Only the three routes exist."""
    assert get(served[2] + "/admin")[0] == 404


def test_error_code_label_is_bounded() -> None:
    """Short numeric codes and known words pass; anything else becomes `other`."""
    assert [error_code_label(c) for c in ("15", "http_503", "transport", "Lỗi", "1" * 9)] == [
        "15", "http_503", "transport", "other", "other",
    ]
