"""The daemon's life: READY, STATUS and WATCHDOG to systemd, health endpoints, a graceful stop
within the deadline with in-flight work checkpointed, and its exit codes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from agent.core.lifecycle import Kind
from tests.integration.services.fixtures import DISTRICT, STTTT, drop_folder, metadata

from .conftest import AgentFactory
from .harness import REPO, AgentProcess, SandboxProcess, clean_env, wait_for


def _endpoint(agent: AgentProcess) -> str:
    line = wait_for(lambda: next((entry for entry in agent.log_lines()
                                  if entry["event"] == "metrics and health endpoint"), None),
                    10, "the metrics endpoint line")
    return str(line["url"]).removesuffix("/metrics")


def test_ready_status_watchdog_and_health(agents: AgentFactory) -> None:
    """READY=1 comes after start-up, STATUS= lines follow, WATCHDOG=1 is sent at half of
    WatchdogSec; /healthz is 200 and /readyz turns 200 once the axis was polled; /metrics
    serves the lienthong series; STOPPING=1 on SIGTERM, then exit 0."""
    a = agents("a", extra="metrics: {enabled: true, listen: '127.0.0.1:0'}\n")
    a.start(env={"WATCHDOG_USEC": "1000000"})
    assert a.notify is not None
    wait_for(lambda: a.notify.seen("WATCHDOG=1"), 10, "WATCHDOG=1")  # type: ignore[union-attr]
    assert a.notify.seen("STATUS=")
    base = _endpoint(a)
    assert httpx.get(f"{base}/healthz").status_code == 200
    wait_for(lambda: httpx.get(f"{base}/readyz").status_code == 200, 10, "/readyz 200")
    text = httpx.get(f"{base}/metrics").text
    assert "lienthong_last_successful_poll_timestamp_seconds" in text
    a.signal(signal.SIGTERM)
    assert a.wait_exit(10) == 0
    assert a.notify.seen("STOPPING=1")


def test_sigterm_checkpoints_in_flight_work_within_the_deadline(
    agents: AgentFactory, sandbox: SandboxProcess,
) -> None:
    """An upload hangs (the axis answers 30 s late); SIGTERM stops the daemon within
    shutdown.deadline_seconds (2 s) with exit 0 and the item checkpointed as 'uploading'; after
    a restart the same bytes are sent again and B delivers the document once."""
    sandbox.faults({"kind": "latency", "ops": ["sendEdoc"], "seconds": 30, "times": 1})
    a = agents("a", extra="shutdown: {deadline_seconds: 2}\n").start()
    b = agents("b").start()
    drop_folder(a.folder(STTTT, "outbox"), "412", metadata(to=[DISTRICT]))
    wait_for(lambda: sandbox.ledger("fault"), 10, "the upload to reach the axis")
    started = time.monotonic()
    a.signal(signal.SIGTERM)
    assert a.wait_exit(10) == 0
    assert time.monotonic() - started < 2 + 1.5
    assert any(line["event"].startswith("the shutdown deadline passed")
               for line in a.log_lines())
    with a.journal() as journal:
        assert [i.state for i in journal.list_items(Kind.OUTBOUND)] == ["uploading"]
    sandbox.faults()
    a.start()
    wait_for(lambda: a.entries(STTTT, "sent"), 20, "the document accepted after restart")
    wait_for(lambda: len(b.entries(DISTRICT, "inbox")) == 1, 20, "one delivery")
    accepted = sandbox.ledger("accepted", message_type="edoc")
    assert len({e["sha256"] for e in accepted}) == 1


def test_an_idle_daemon_stops_at_once(agents: AgentFactory) -> None:
    """With nothing in flight, SIGTERM ends the daemon well before the deadline, exit 0."""
    a = agents("a").start()
    started = time.monotonic()
    a.signal(signal.SIGTERM)
    assert a.wait_exit(10) == 0
    assert time.monotonic() - started < 1.5


def test_an_invalid_configuration_exits_3(tmp_path: Path) -> None:
    """A configuration with an unknown key: exit 3, the problem printed with its path."""
    config = tmp_path / "bad.yaml"
    config.write_text("axis: {base_url: 'http://127.0.0.1:1', system_id: x, secret_file: /x}\n"
                      "organs: []\nbogus: 1\n")
    done = subprocess.run([sys.executable, "-m", "agent", "run", "--config", str(config)],
                          cwd=REPO, env=clean_env(), capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 3
    assert "bogus" in done.stderr


def test_a_second_daemon_on_the_same_journal_exits_4(agents: AgentFactory) -> None:
    """The journal is locked by the running daemon: a second one refuses to start (exit 4)."""
    a = agents("a").start()
    done = subprocess.run([sys.executable, "-m", "agent", "run", "--config", str(a.config)],
                          cwd=REPO, env=clean_env(), capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 4
    assert "another lienthong-agent is using the journal" in done.stderr
