"""Peak memory of the daemon (VmHWM of its process) while it sends and receives one document
with a 1, 100 or 500 MB PDF attachment (a scan: incompressible pages of 1 MB).

Each size runs on a fresh daemon, so the high-water mark belongs to that document: agent A (default
signing: the PDF is signed, the package XML-signed) sends it, then a fresh agent B receives it
(getEdoc streamed to the spool, parsed and verified in one pass, delivered). The baseline is the
same daemon's VmHWM right after READY=1, before the document. ``limits.max_package_bytes`` and
``limits.max_attachment_bytes`` are raised for the run (their defaults, 200 MB and 150 MB, refuse a
500 MB scan).
"""

from __future__ import annotations

import time

from bench.lab import DISTRICT, STTTT, Lab, big_pdf, peak_rss_mb, stage, wait_count
from bench.report import Figure, Target
from bench.throughput import _no_failures, acknowledged_since, ledger_last

TARGET = Target(200, at_least=False)
LIMITS = "limits: {max_package_bytes: 1073741824, max_attachment_bytes: 629145600}\n"


def send(world: Lab, megabytes: int) -> tuple[float, float, float]:
    """(peak RSS MB after READY, peak RSS MB after sending, seconds)"""
    agent = world.agent(f"mem-send-{megabytes}", settings=LIMITS)
    agent.start()
    assert agent.proc is not None
    try:
        idle = peak_rss_mb(agent.proc.pid)
        source = big_pdf(world.base / f"scan-{megabytes}.pdf", megabytes)
        docs = stage(agent.root / "staging", f"m{megabytes}", 1, source, to=DISTRICT)
        source.unlink()  # the staged folder holds the only link
        sent, failed = agent.folder(STTTT, "sent"), agent.folder(STTTT, "failed")
        started = docs.drop(agent.folder(STTTT, "outbox"))
        finished = wait_count(sent, 1, 900, interval=0.1, also=lambda: _no_failures(failed))
        peak = peak_rss_mb(agent.proc.pid)
    finally:
        agent.stop()
    return idle, peak, finished - started


def receive(world: Lab, megabytes: int, since: int) -> tuple[float, float, float]:
    agent = world.agent(f"mem-recv-{megabytes}", receiver=True, settings=LIMITS)
    agent.start()
    assert agent.proc is not None
    try:
        idle = peak_rss_mb(agent.proc.pid)
        deadline = time.monotonic() + 900
        while acknowledged_since(world, since) < 1:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {megabytes} MB document was not received in 900 s")
            time.sleep(0.2)
        seconds = time.monotonic() - agent.started
        peak = peak_rss_mb(agent.proc.pid)
    finally:
        agent.stop()
    return idle, peak, seconds


def run(world: Lab, *, quick: bool) -> list[Figure]:
    figures = []
    for megabytes in ((1, 100) if quick else (1, 100, 500)):
        since = ledger_last(world)
        idle, peak, seconds = send(world, megabytes)
        figures.append(Figure(
            "memory", f"peak RSS sending a {megabytes} MB PDF (signed)", peak, "MB",
            "the same daemon idle after READY", idle,
            target=TARGET if megabytes == 500 else None,
            extra={"seconds": seconds}, note=f"sent in {seconds:.1f} s"))
        idle, peak, seconds = receive(world, megabytes, since)
        figures.append(Figure(
            "memory", f"peak RSS receiving a {megabytes} MB PDF (verified)", peak, "MB",
            "the same daemon idle after READY", idle,
            target=TARGET if megabytes == 500 else None,
            extra={"seconds": seconds}, note=f"received in {seconds:.1f} s from process start"))
    return figures
