"""The benchmark suite: every figure of issue 6 next to its baseline, measured in the same run.

    .venv/bin/python -m bench                       # everything (about 15-25 min on 2 cores)
    .venv/bin/python -m bench --quick               # smaller counts, 1 and 100 MB (a few min)
    .venv/bin/python -m bench --only outbound,latency
    .venv/bin/python -m bench --json out.json --dir /var/tmp --keep

Sections: ``crypto`` (signatures/s of the libraries alone), ``outbound`` and ``inbound``
(documents/s through the daemon against the raw HTTP loop), ``latency`` (single documents on an
idle agent), ``memory`` (peak RSS with 1, 100, 500 MB attachments), ``scale`` (draining 10,000
documents, start-up with 100,000 in the journal, idle CPU).

The sandbox and the daemons run as subprocesses (as in production and in tests/e2e); the load
generators run in this process. Figures are printed, never asserted: machines are shared and
noisy. The table goes to stdout, progress to stderr, and everything to
``bench/results/<timestamp>.json`` (or ``--json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import crypto, latency, memory, scale, throughput  # noqa: E402
from bench.lab import SIGNING, lab  # noqa: E402
from bench.report import Figure, table, write_json  # noqa: E402
from tests.integration.services.fixtures import Pki, make_pki  # noqa: E402

SECTIONS = ("crypto", "outbound", "inbound", "latency", "memory", "scale")


def progress(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class Suite:
    def __init__(self, base: Path, quick: bool) -> None:
        self.base = base
        self.quick = quick
        self.pki: Pki = make_pki(base / "pki")
        self.kept: dict[str, list[bytes]] = {}
        self.figures: list[Figure] = []

    def crypto(self) -> list[Figure]:
        return crypto.run(self.pki, quick=self.quick, workdir=self.base)

    def outbound(self) -> list[Figure]:
        with lab(self.base / "outbound", self.pki) as world:
            figures, self.kept = throughput.outbound(world, quick=self.quick)
        return figures

    def inbound(self) -> list[Figure]:
        if not self.kept:  # inbound alone: make the packages with one outbound run each
            with lab(self.base / "packages", self.pki) as world:
                for n, label in enumerate(SIGNING, start=100):
                    count = 30 if self.quick else 240
                    self.kept[label] = throughput.outbound_run(world, label, 16, count, n).packages
        with lab(self.base / "inbound", self.pki) as world:
            return throughput.inbound(world, self.kept, quick=self.quick)

    def latency(self) -> list[Figure]:
        with lab(self.base / "latency", self.pki) as world:
            return latency.run(world, quick=self.quick)

    def memory(self) -> list[Figure]:
        with lab(self.base / "memory", self.pki) as world:
            return memory.run(world, quick=self.quick)

    def scale(self) -> list[Figure]:
        with lab(self.base / "scale", self.pki) as world:
            return scale.run(world, quick=self.quick)

    def run(self, sections: list[str]) -> list[Figure]:
        for name in sections:
            progress(f"{name}...")
            started = time.monotonic()
            method: Callable[[], list[Figure]] = getattr(self, name)
            figures = method()
            self.figures += figures
            progress(f"{name}: {len(figures)} figures in {time.monotonic() - started:.0f} s")
            for figure in figures:
                progress("  " + "  ".join(c for c in figure.row()[1:] if c))
        return self.figures


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller counts and sizes: every figure, in a few minutes")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections among {', '.join(SECTIONS)}")
    parser.add_argument("--json", type=Path, help="where to write the JSON "
                        "(default bench/results/<timestamp>.json)")
    parser.add_argument("--dir", type=Path, default=None,
                        help="work directory parent (a real disk; default /var/tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    parent = args.dir or (Path("/var/tmp") if Path("/var/tmp").is_dir() else None)
    base = Path(tempfile.mkdtemp(prefix="lienthong-bench-", dir=parent))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.json or REPO / "bench" / "results" / f"{stamp}.json"
    progress(f"work directory {base}; sections {', '.join(args.sections)}"
             f"{' (quick)' if args.quick else ''}")
    started = time.monotonic()
    suite = Suite(base, args.quick)
    try:
        figures = suite.run(args.sections)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        meta = {"started": stamp, "quick": args.quick, "sections": args.sections,
                "seconds": round(time.monotonic() - started, 1)}
        write_json(out, suite.figures, meta)
    print(table(figures))
    print(f"\n{sum(f.status == 'met' for f in figures)} targets met, "
          f"{sum(f.status == 'MISSED' for f in figures)} missed; "
          f"{time.monotonic() - started:.0f} s; JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
