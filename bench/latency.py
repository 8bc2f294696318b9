"""Latency of single documents on an idle agent: from the rename into outbox/ to the claim folder
in ``sent/`` (the axis accepted it and the item is archived), one document at a time.

The baseline is the raw HTTP loop posting the same packages one at a time on an idle sandbox
(sendEdoc round trips only): what remains of the agent's latency is pickup, validation, building,
signing, the journal's fsyncs and the archive.
"""

from __future__ import annotations

import statistics
import time

from bench import rawhttp
from bench.lab import A_SYS, SECRETS, SIGNING, STTTT, Lab, pdf_300kb, signing_settings, stage
from bench.report import Figure, Target
from bench.throughput import _no_failures

TARGET_P50_MS = Target(50, at_least=False)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def measure(world: Lab, label: str, count: int, run: int) -> tuple[list[float], list[bytes]]:
    pdf, xml = SIGNING[label]
    agent = world.agent(f"lat-{run}", settings=signing_settings(pdf, xml, 2))
    agent.start()
    try:
        outbox, sent, failed = (agent.folder(STTTT, n) for n in ("outbox", "sent", "failed"))
        document = pdf_300kb()
        docs = stage(agent.root / "staging", f"l{run}", count + 2, document)
        samples = []
        for n, folder in enumerate(docs.folders):
            time.sleep(0.2)  # idle between documents
            before = set(sent.iterdir()) if sent.exists() else set()
            started = time.monotonic()
            folder.rename(outbox / folder.name)
            while True:
                now = set(sent.iterdir())
                if len(now) > len(before):
                    break
                _no_failures(failed)
                if time.monotonic() - started > 60:
                    raise TimeoutError(f"latency: {folder.name} not sent within 60 s")
                time.sleep(0.001)
            if n >= 2:  # the first two warm the daemon up (imports, directory)
                samples.append(time.monotonic() - started)
        packages = [(claim / "package.edxml").read_bytes() for claim in sorted(sent.iterdir())]
    finally:
        agent.stop()
    return samples, packages


def run(world: Lab, *, quick: bool) -> list[Figure]:
    figures = []
    port = int(world.sandbox.url.rsplit(":", 1)[1])
    count = 20 if quick else 100
    for n, label in enumerate(("PDF+XML signed (default)", "unsigned"), start=1):
        samples, packages = measure(world, label, count, n)
        raw = []
        for package in packages[:count]:
            time.sleep(0.02)
            result = rawhttp.post_packages(port, [package], 1, system=A_SYS,
                                           secret=SECRETS[A_SYS], sender=STTTT)
            raw.extend(result.latencies)
        ms = [1000 * s for s in samples]
        raw_ms = [1000 * s for s in raw]
        figures.append(Figure(
            "latency", f"{label}: drop -> accepted and archived, p50", statistics.median(ms),
            "ms", "raw sendEdoc round trip, p50", statistics.median(raw_ms),
            target=TARGET_P50_MS,
            extra={"samples": len(ms), "all_ms": [round(v, 2) for v in ms]}))
        figures.append(Figure(
            "latency", f"{label}: drop -> accepted and archived, p99", percentile(ms, 0.99),
            "ms", "raw sendEdoc round trip, p99", percentile(raw_ms, 0.99),
            note=f"{len(ms)} documents one at a time, 0.2 s apart; p99 of {len(ms)} samples "
                 "is close to the maximum"))
    return figures
