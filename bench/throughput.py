"""Outbound and inbound throughput of the daemon, next to the raw HTTP loop on the same packages.

Outbound: N document folders (metadata.json + one 300 KB PDF) are written outside the outbox and
renamed into it at once (the folder contract's hand-over); the figure is N divided by the time from
the first rename to the N-th claim folder in ``sent/`` (accepted by the axis and archived). Each
signing configuration runs at ``upload.concurrency`` 1, 4 and 16 on a fresh daemon, after a
warm-up document. The baseline posts *the packages that run produced* (``sent/*/package.edxml``)
with :mod:`bench.rawhttp` at the same concurrency.

Inbound: the sandbox is preloaded with N packages for agent B's organ (the signed or unsigned
packages of an outbound run, posted by the raw loop), then a fresh daemon B starts; the figure is N
divided by the time from READY=1 until the sandbox ledger shows N ``acknowledged done``
(list -> getEdoc -> parse and verify -> inbox -> updateStatus). The baseline is the raw loop doing
list -> getEdoc -> updateStatus on a second preload of the same packages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import rawhttp
from bench.lab import (
    A_SYS,
    B_SYS,
    SECRETS,
    SIGNING,
    STTTT,
    Lab,
    count_entries,
    cpu_seconds,
    pdf_300kb,
    signing_settings,
    stage,
    wait_count,
)
from bench.report import Figure, Target

TARGET = Target(200, at_least=True)
CONCURRENCY = (1, 4, 16)


@dataclass
class OutboundRun:
    label: str
    concurrency: int
    count: int
    seconds: float
    daemon_cpu: float
    sandbox_cpu: float
    packages: list[bytes] = field(repr=False, default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def outbound_run(world: Lab, label: str, concurrency: int, count: int, run: int) -> OutboundRun:
    pdf, xml = SIGNING[label]
    agent = world.agent(f"out-{run}", settings=signing_settings(pdf, xml, concurrency))
    agent.start()
    try:
        outbox, sent, failed = (agent.folder(STTTT, n) for n in ("outbox", "sent", "failed"))
        staging = agent.root / "staging"
        document = pdf_300kb()
        warm = stage(staging, f"w{run}", max(2, concurrency), document)
        warm.drop(outbox)
        wait_count(sent, len(warm.folders), 300, also=lambda: _no_failures(failed))
        batch = stage(staging, f"r{run}", count, document)
        assert agent.proc is not None
        cpu0, sandbox0 = cpu_seconds(agent.proc.pid), cpu_seconds(world.sandbox.proc.pid)
        started = batch.drop(outbox)
        finished = wait_count(sent, len(warm.folders) + count, 60 + count,
                              also=lambda: _no_failures(failed))
        cpu1, sandbox1 = cpu_seconds(agent.proc.pid), cpu_seconds(world.sandbox.proc.pid)
        packages = [(claim / "package.edxml").read_bytes() for claim in sorted(sent.iterdir())
                    if f"-r{run}-" in claim.name]
    finally:
        agent.stop()
    return OutboundRun(label, concurrency, count, finished - started, cpu1 - cpu0,
                       sandbox1 - sandbox0, packages)


def _no_failures(failed: Path) -> None:
    if count_entries(failed):
        first = next(p for p in failed.iterdir() if not p.name.startswith("."))
        text = (first / "error.txt").read_text(errors="replace")[:400]
        raise RuntimeError(f"a benchmark document failed: {first.name}: {text}")


def raw_post(world: Lab, packages: list[bytes], concurrency: int) -> rawhttp.LoopResult:
    port = int(world.sandbox.url.rsplit(":", 1)[1])
    result = rawhttp.post_packages(port, packages, concurrency, system=A_SYS,
                                   secret=SECRETS[A_SYS], sender=STTTT)
    if result.failures:
        raise RuntimeError(f"the raw loop saw {result.failures} failed sendEdoc")
    return result


def outbound(world: Lab, *, quick: bool) -> tuple[list[Figure], dict[str, list[bytes]]]:
    """Every signing configuration at every concurrency; returns the figures and, per
    configuration, the packages of its last run (for the inbound benchmark)."""
    figures, kept = [], {}
    run = 0
    for label in SIGNING:
        signed = SIGNING[label][0]
        count = (30 if signed else 100) if quick else (240 if signed else 800)
        for concurrency in CONCURRENCY:
            run += 1
            result = outbound_run(world, label, concurrency, count, run)
            raw = raw_post(world, result.packages, concurrency)
            kb = sum(map(len, result.packages)) / len(result.packages) / 1024
            figures.append(Figure(
                "outbound", f"{label}, upload.concurrency {concurrency}", result.rate, "doc/s",
                f"raw HTTP loop, same {count} packages, {concurrency} conn.", raw.per_second,
                target=TARGET,
                extra={"documents": count, "seconds": result.seconds, "package_kb": kb,
                       "daemon_cpu_ms_per_doc": 1000 * result.daemon_cpu / count,
                       "sandbox_cpu_ms_per_doc": 1000 * result.sandbox_cpu / count},
                note=f"{count} docs of {kb:.0f} KB; daemon CPU "
                     f"{1000 * result.daemon_cpu / count:.1f} ms/doc, sandbox "
                     f"{1000 * result.sandbox_cpu / count:.1f} ms/doc"))
            kept[label] = result.packages
    return figures, kept


# --- inbound ----------------------------------------------------------------------------------


def ledger_since(world: Lab, since: int) -> list[dict[str, Any]]:
    """Every ledger event after ``since``, page by page."""
    events: list[dict[str, Any]] = []
    while True:
        page = world.sandbox.admin("GET", f"/ledger?since={since}&limit=10000")
        events += page["events"]
        if not page["events"]:
            return events
        since = int(page["last"])


def ledger_last(world: Lab) -> int:
    """The seq of the ledger's newest event (0 when empty)."""
    events = ledger_since(world, 0)
    return int(events[-1]["seq"]) if events else 0


def preload(world: Lab, packages: list[bytes]) -> int:
    """Post the packages for agent B's organ; returns the ledger's last seq before them."""
    last = ledger_last(world)
    raw_post(world, packages, 8)
    return last


def acknowledged_since(world: Lab, since: int) -> int:
    return sum(1 for e in ledger_since(world, since) if e["event"] == "acknowledged"
               and e.get("detail") == "done" and e["message_type"] == "edoc")


def inbound_run(world: Lab, packages: list[bytes], concurrency: int, run: int
                ) -> tuple[float, float, float]:
    """(seconds from READY to the last acknowledgement, seconds from process start, daemon CPU)"""
    since = preload(world, packages)
    agent = world.agent(f"in-{run}", receiver=True,
                        settings=f"upload: {{concurrency: {concurrency}}}\n")
    agent.start()
    ready = time.monotonic()
    assert agent.proc is not None
    cpu0 = cpu_seconds(agent.proc.pid)
    try:
        deadline = ready + 120 + len(packages)
        while acknowledged_since(world, since) < len(packages):
            if time.monotonic() > deadline:
                raise TimeoutError(f"inbound: {acknowledged_since(world, since)} of "
                                   f"{len(packages)} acknowledged")
            time.sleep(0.05)
        done = time.monotonic()
        cpu = cpu_seconds(agent.proc.pid) - cpu0
    finally:
        agent.stop()
    return done - ready, done - agent.started, cpu


def raw_receive(world: Lab, packages: list[bytes], concurrency: int) -> rawhttp.LoopResult:
    preload(world, packages)
    port = int(world.sandbox.url.rsplit(":", 1)[1])
    result = rawhttp.receive_all(port, concurrency, system=B_SYS, secret=SECRETS[B_SYS])
    if result.failures or result.done != len(packages):
        raise RuntimeError(f"the raw receiving loop: {result.done} done, {result.failures} "
                           f"failures, {len(packages)} expected")
    return result


def inbound(world: Lab, kept: dict[str, list[bytes]], *, quick: bool) -> list[Figure]:
    figures = []
    run = 0
    for label in ("PDF+XML signed (default)", "unsigned"):
        if label not in kept:
            continue
        packages = kept[label]
        for concurrency in ((4,) if quick else CONCURRENCY):
            run += 1
            seconds, from_start, cpu = inbound_run(world, packages, concurrency, run)
            raw = raw_receive(world, packages, concurrency)
            n = len(packages)
            figures.append(Figure(
                "inbound", f"{label} packages, upload.concurrency {concurrency}", n / seconds,
                "doc/s", f"raw list/getEdoc/updateStatus loop, {concurrency} conn.",
                raw.per_second, target=TARGET,
                extra={"documents": n, "seconds_from_ready": seconds,
                       "seconds_from_process_start": from_start,
                       "daemon_cpu_ms_per_doc": 1000 * cpu / n},
                note=f"{n} docs; from READY=1 to the last 'acknowledged done' in the ledger "
                     f"(from process start: {n / from_start:.1f} doc/s); daemon CPU "
                     f"{1000 * cpu / n:.1f} ms/doc"))
    return figures
