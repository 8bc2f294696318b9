"""Benchmark of edXML build and parse: peak memory and throughput (not a test).

    python bench/edxml_bench.py [--sizes 1,100,500] [--small-count 300] [--dir DIR]

For each attachment size (MiB) it builds a package from a file into a file, then parses it into a
file sink, each step in a fresh subprocess, and reports the child's peak RSS (``ru_maxrss`` and
``VmHWM``), the time and the throughput. Then it measures build + parse of a package with one
300 KB PDF-sized attachment in memory, the everyday case. Target: peak RSS < 150 MB at 500 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MiB = 1 << 20


def _vm_hwm_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def _header_and_trace() -> tuple[Any, Any]:
    import datetime as dt

    from agent.core.edxml import (
        Business,
        BusinessDocType,
        MessageHeader,
        Organization,
        TraceHeader,
        TraceHeaderList,
    )

    doc_id = "000.00.13.H53,2024/11/05,412/STTTT-VP"
    header = MessageHeader(
        sender=Organization(organ_id="000.00.13.H53", organ_name="Sở TT&TT tỉnh Tây Ninh"),
        recipients=(Organization(organ_id="000.00.31.H53", organ_name="UBND huyện Bến Cầu"),),
        document_id=doc_id,
        subject="V/v đôn đốc kết nối phần mềm quản lý văn bản với Trục liên thông văn bản",
    )
    trace = TraceHeaderList(
        trace_headers=(TraceHeader(organ_id="000.00.13.H53",
                                   timestamp=dt.datetime(2024, 11, 5, 8, 30)),),
        business=Business(document_id=doc_id, business_doc_type=BusinessDocType.NEW),
    )
    return header, trace


class _FileSink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def open(self, index: int, content_id: str, declared_name: str) -> BinaryIO:
        return (self.folder / f"delivered-{index}.bin").open("wb")


# --- children: one measurement each, in a fresh interpreter -------------------------------------


def _child(mode: str, source: Path, target: Path) -> dict[str, Any]:
    from agent.core.edxml import AttachmentSource, build_edoc, parse_package

    before = _vm_hwm_kib()
    start = time.perf_counter()
    if mode == "build":
        header, trace = _header_and_trace()
        attachment = AttachmentSource("cid:bench", "van-ban.pdf", "application/pdf",
                                      lambda: source.open("rb"))
        with target.open("wb") as out:
            build_edoc(out, header, trace, [attachment])
    elif mode == "parse":
        with source.open("rb") as stream:
            parse_package(stream, _FileSink(target))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "hwm_kib": _vm_hwm_kib(),
        "hwm_before_kib": before,
    }


def _run_child(mode: str, source: Path, target: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(source), str(target)],
        check=True, capture_output=True, text=True,
    )
    return dict(json.loads(out.stdout))


# --- the parent -----------------------------------------------------------------------------------


def _make_attachment(path: Path, size: int) -> str:
    block = hashlib.sha256(b"seed").digest() * (MiB // 32)  # 1 MiB, incompressible-ish pattern
    sha = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            chunk = block[: min(left, len(block))]
            out.write(chunk)
            sha.update(chunk)
            left -= len(chunk)
    return sha.hexdigest()


def _large(sizes: list[int], folder: Path) -> None:
    idle = _run_child("idle", folder, folder)
    print(f"interpreter + imports baseline: peak RSS {idle['maxrss_kib'] / 1024:.1f} MiB")
    print(f"{'size':>8} {'step':>6} {'peak RSS':>10} {'VmHWM':>10} {'time':>8} {'throughput':>12}")
    for mib in sizes:
        source, package = folder / f"att-{mib}.bin", folder / f"pkg-{mib}.edxml"
        _make_attachment(source, mib * MiB)
        for step, src, dst in (("build", source, package), ("parse", package, folder)):
            r = _run_child(step, src, dst)
            rate = mib / r["seconds"] if r["seconds"] else float("inf")
            print(f"{mib:>6}MB {step:>6} {r['maxrss_kib'] / 1024:>8.1f}MB "
                  f"{r['hwm_kib'] / 1024:>8.1f}MB {r['seconds']:>7.2f}s {rate:>9.1f}MB/s")
        for path in (source, package, folder / "delivered-0.bin"):
            path.unlink(missing_ok=True)


def _small(count: int) -> None:
    from agent.core.edxml import AttachmentSource, MemorySink, build_edoc, parse_package

    header, trace = _header_and_trace()
    pdf = os.urandom(300 * 1000)
    source = AttachmentSource.from_bytes("cid:small", "van-ban.pdf", "application/pdf", pdf)
    timings = {"build": 0.0, "parse": 0.0}
    size = 0
    for _ in range(count):
        start = time.perf_counter()
        out = io.BytesIO()
        build_edoc(out, header, trace, [source])
        middle = time.perf_counter()
        parse_package(io.BytesIO(out.getvalue()), MemorySink())
        timings["build"] += middle - start
        timings["parse"] += time.perf_counter() - middle
        size = len(out.getvalue())
    per = {k: v / count * 1000 for k, v in timings.items()}
    total = per["build"] + per["parse"]
    print(f"\n300 KB attachment ({size} byte package), {count} rounds in memory:")
    print(f"  build {per['build']:.2f} ms, parse {per['parse']:.2f} ms, build+parse {total:.2f} ms"
          f" = {1000 / total:.0f} packages/s (build alone {1000 / per['build']:.0f}/s, parse "
          f"alone {1000 / per['parse']:.0f}/s)")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(_child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,100,500", help="attachment sizes in MiB")
    parser.add_argument("--small-count", type=int, default=300)
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as work:
        _large([int(s) for s in args.sizes.split(",") if s], Path(work))
    _small(args.small_count)


if __name__ == "__main__":
    main()
