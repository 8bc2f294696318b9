"""Scale of state: draining 10,000 queued documents, start-up with 100,000 documents in the
journal, CPU while idle.

* Drain: a warmed-up daemon (``upload.concurrency`` 16, signatures off so that the figure is
  the state machinery's, not the crypto's: see the crypto section for that bound) gets 10,000
  small document folders (one 10 KB PDF each) renamed into its outbox at once; the figure is the
  time until all 10,000 are in ``sent/``: pickup, journal, validation, build, sendEdoc to the
  sandbox, archive and receipts timeline for each. The baseline is the journal alone walking the
  same number of documents through the same six durable steps with 16 threads
  (``tests/integration/journal/bench_drain.py``).
* Start-up: from ``exec`` of ``lienthong-agent run`` to READY=1 on its NOTIFY_SOCKET, with the
  journal seeded by :mod:`bench.seed_journal` (half sent, half received documents, all settled);
  median of three starts. Baseline: the same with an empty journal.
* Idle CPU: utime + stime of a daemon with the default poll intervals (60 s, jitter 5 s), rescans
  (60 s) and the metrics endpoint on, over a window after READY=1, as a percentage of one core.
  Baseline: the sandbox's own idle CPU (uvicorn) over the same window.
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import time
from pathlib import Path

from bench.lab import STTTT, Lab, cpu_seconds, signing_settings, stage, wait_count
from bench.report import Figure, Target
from bench.seed_journal import seed
from bench.throughput import _no_failures
from tests.integration.journal.bench_drain import journal_drain
from tests.support.pdfs import make_pdf


def drain(world: Lab, documents: int) -> list[Figure]:
    agent = world.agent("drain", settings=signing_settings(False, False, 16))
    agent.start()
    assert agent.proc is not None
    try:
        outbox, sent, failed = (agent.folder(STTTT, n) for n in ("outbox", "sent", "failed"))
        pdf = make_pdf(pages=1, image_bytes_per_page=10_000)
        warm = stage(agent.root / "staging", "warm", 4, pdf)
        warm.drop(outbox)
        wait_count(sent, 4, 120, also=lambda: _no_failures(failed))
        docs = stage(agent.root / "staging", "q", documents, pdf)
        cpu0 = cpu_seconds(agent.proc.pid)
        started = docs.drop(outbox)
        finished = wait_count(sent, 4 + documents, 600 + documents / 10, interval=0.1,
                              also=lambda: _no_failures(failed))
        cpu = cpu_seconds(agent.proc.pid) - cpu0
    finally:
        agent.stop()
    with tempfile.TemporaryDirectory(prefix="bench-drain-", dir=world.base) as tmp:
        journal_seconds, _ = journal_drain(Path(tmp), documents, 16)
    seconds = finished - started
    return [Figure(
        "scale", f"drain {documents:,} queued documents end to end", seconds, "s",
        "journal alone, same steps, 16 threads", journal_seconds,
        target=Target(60 * documents / 10_000, at_least=False),
        extra={"documents": documents, "per_second": documents / seconds,
               "daemon_cpu_ms_per_doc": 1000 * cpu / documents},
        note=f"{documents / seconds:.0f} doc/s, daemon CPU {1000 * cpu / documents:.1f} ms/doc; "
             "unsigned 10 KB documents, upload.concurrency 16")]


def start_up(world: Lab, documents: int) -> list[Figure]:
    def median_start(name: str, seeded: int) -> tuple[float, float]:
        agent = world.agent(name)
        if seeded:
            (agent.root).mkdir(parents=True, exist_ok=True)
            seeding = seed(agent.root / "journal.sqlite3", seeded)
        else:
            seeding = 0.0
        times = []
        for _ in range(3):
            agent.start()
            assert agent.ready_seconds is not None
            times.append(agent.ready_seconds)
            agent.stop()
        return statistics.median(times), seeding

    empty, _ = median_start("start-empty", 0)
    full, seeding = median_start("start-full", documents)
    return [Figure(
        "scale", f"start-up (exec to READY=1) with {documents:,} documents in the journal",
        full, "s", "the same with an empty journal", empty, target=Target(2, at_least=False),
        extra={"documents": documents, "seeding_seconds": seeding},
        note=f"median of 3 starts; journal seeded through the journal API in {seeding:.0f} s "
             "(python -m bench.seed_journal)")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def idle_cpu(world: Lab, seconds: float) -> list[Figure]:
    agent = world.agent("idle", settings=f"metrics: {{enabled: true, listen: "
                                         f"'127.0.0.1:{free_port()}'}}\n")
    agent.start()
    assert agent.proc is not None
    try:
        time.sleep(3)  # the start-up polls and the directory sync
        sandbox_pid = world.sandbox.proc.pid
        cpu0, sandbox0, started = cpu_seconds(agent.proc.pid), cpu_seconds(sandbox_pid), \
            time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        cpu, sandbox = cpu_seconds(agent.proc.pid) - cpu0, cpu_seconds(sandbox_pid) - sandbox0
    finally:
        agent.stop()
    return [Figure(
        "scale", f"idle CPU over {seconds:.0f} s (default poll intervals)",
        100 * cpu / elapsed, "% of a core", "the idle sandbox (uvicorn), same window",
        100 * sandbox / elapsed, target=Target(1, at_least=False),
        extra={"cpu_seconds": cpu, "window_seconds": elapsed},
        note=f"{cpu * 1000:.0f} ms of CPU in {elapsed:.0f} s (clock ticks of 10 ms)")]


def run(world: Lab, *, quick: bool) -> list[Figure]:
    return [*drain(world, 1_000 if quick else 10_000),
            *start_up(world, 20_000 if quick else 100_000),
            *idle_cpu(world, 15 if quick else 60)]
