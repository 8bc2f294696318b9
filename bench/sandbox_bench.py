"""How fast is the sandbox? sendEdoc/s (and getEdoc/s) for 300 KB packages, over real HTTP.

The sandbox runs as a subprocess (``lienthong-agent sandbox --port 0``), exactly as tests and demos
start it; this process is the load generator: raw HTTP/1.1 on keep-alive connections with
pre-signed requests (a frozen timestamp, which the axis accepts), so the client costs as little
as possible and the figure is the server's.

    .venv/bin/python bench/sandbox_bench.py                  # 2000 sends, 16 connections
    .venv/bin/python bench/sandbox_bench.py --requests 5000 --concurrency 32 --size-kb 300
    .venv/bin/python bench/sandbox_bench.py --json out.json --transit preserve

Prints a table; ``--json`` also writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.axis_reference_client import signed_headers  # noqa: E402

SENDER_SYSTEM, SENDER_SECRET, SENDER = "00.53.W00", "bench-secret-a", "000.00.13.H53"
RECEIVER_SYSTEM, RECEIVER_SECRET, RECEIVER = "00.31.W00", "bench-secret-b", "000.00.31.H53"
FROZEN = "24112026T023544+0351"


@dataclass
class Figures:
    operation: str
    requests: int
    concurrency: int
    package_bytes: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    failures: int
    server_cpu_ms: float  # server CPU (user + system) per request
    capacity_per_core: float  # requests/s one fully available core would sustain


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def build_package(size_kb: int) -> bytes:
    """An edoc of about ``size_kb`` KB with one pseudo-PDF attachment (the agent's builder)."""
    from agent.core.edxml.builder import AttachmentSource, build_edoc
    from agent.core.edxml.model import MessageHeader, Organization

    payload = b"%PDF-1.4\n" + os.urandom(max(1, size_kb * 1024 * 3 // 4 - 1200))
    header = MessageHeader(
        sender=Organization(organ_id=SENDER, organ_name="Sở Thông tin và Truyền thông"),
        recipients=(Organization(organ_id=RECEIVER, organ_name="UBND huyện Bến Cầu"),),
        document_id=f"{SENDER},2024/11/05,412/STTTT-VP", subject="Benchmark",
    )
    out = io.BytesIO()
    source = AttachmentSource.from_bytes("bench-1", "bench.pdf", "application/pdf", payload)
    build_edoc(out, header, None, [source])
    return out.getvalue()


def request_bytes(path: str, host: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


async def read_response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return await reader.readexactly(length)


async def drive(
    host: str, port: int, requests: list[bytes], concurrency: int
) -> tuple[list[float], list[bytes]]:
    queue = list(reversed(requests))
    latencies: list[float] = []
    bodies: list[bytes] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        while queue:
            data = queue.pop()
            started = time.perf_counter()
            writer.write(data)
            bodies.append(await read_response(reader))
            latencies.append(time.perf_counter() - started)
        writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, bodies


def figures(op: str, lat: list[float], bodies: list[bytes], conc: int, size: int, secs: float,
            cpu: float) -> Figures:
    ordered = sorted(lat)
    failures = sum(1 for b in bodies if b'"status":"OK"' not in b[:200])
    cpu_ms = cpu / len(lat) * 1000
    return Figures(op, len(lat), conc, size, round(secs, 3), round(len(lat) / secs, 1),
                   round(statistics.median(ordered) * 1000, 2),
                   round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2), failures,
                   round(cpu_ms, 3), round(1000 / cpu_ms, 1))


def start_sandbox(data_dir: Path, args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], int]:
    port_file = data_dir / "port"
    cmd = [sys.executable, "-m", "agent", "sandbox", "--port", "0", "--port-file", str(port_file),
           "--data-dir", str(data_dir / "state"), "--transit", args.transit,
           "--ingest-threads", str(args.ingest_threads), "--log-level", "warning",
           "--system", f"{SENDER_SYSTEM}={SENDER_SECRET}",
           "--system", f"{RECEIVER_SYSTEM}={RECEIVER_SECRET}",
           "--organ", f"{SENDER}@{SENDER_SYSTEM}", "--organ", f"{RECEIVER}@{RECEIVER_SYSTEM}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the sandbox did not start")
        time.sleep(0.05)
    return proc, int(port_file.read_text())


def send_requests(package: bytes, n: int, host: str) -> list[bytes]:
    headers = signed_headers(SENDER_SYSTEM, SENDER_SECRET, "application/octet-stream",
                             [("from", SENDER), ("servicetype", "eDoc"), ("messagetype", "edoc")],
                             timestamp=FROZEN)
    return [request_bytes("/sendEdoc", host, headers, package + b"\r\n")] * n


def fetch_requests(doc_ids: list[str], host: str) -> list[bytes]:
    out = []
    for doc_id in doc_ids:
        headers = signed_headers(RECEIVER_SYSTEM, RECEIVER_SECRET, "application/json",
                                 [("docId", doc_id)], timestamp=FROZEN)
        out.append(request_bytes("/getEdoc", host, headers, b"{}"))
    return out


async def measure(op: str, args: argparse.Namespace, port: int, pid: int,
                  requests: list[bytes], size: int) -> Figures:
    cpu, started = cpu_seconds(pid), time.perf_counter()
    lat, bodies = await drive("127.0.0.1", port, requests, args.concurrency)
    wall = time.perf_counter() - started
    return figures(op, lat, bodies, args.concurrency, size, wall, cpu_seconds(pid) - cpu)


async def run(args: argparse.Namespace, port: int, pid: int) -> list[Figures]:
    host = f"127.0.0.1:{port}"
    package = build_package(args.size_kb)
    await drive("127.0.0.1", port, send_requests(package, 50, host), 4)  # warm-up
    sends = send_requests(package, args.requests, host)
    results = [await measure("sendEdoc", args, port, pid, sends, len(package))]
    items = (await list_items(port))[: args.requests]
    fetches = fetch_requests(items, host)
    results.append(await measure("getEdoc", args, port, pid, fetches, len(package)))
    return results


async def list_items(port: int) -> list[str]:
    headers = signed_headers(RECEIVER_SYSTEM, RECEIVER_SECRET, "application/json",
                             [("servicetype", "eDoc"), ("messagetype", "edoc")], timestamp=FROZEN)
    _, bodies = await drive("127.0.0.1", port, [request_bytes(
        "/getReceivedEdocList", f"127.0.0.1:{port}", headers, b"")], 1)
    return [row["docId"] for row in json.loads(bodies[0])["data"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--size-kb", type=int, default=300)
    parser.add_argument("--transit", choices=("rebuild", "preserve"), default="rebuild")
    parser.add_argument("--ingest-threads", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as tmp:
        proc, port = start_sandbox(Path(tmp), args)
        try:
            results = asyncio.run(run(args, port, proc.pid))
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    print(f"sandbox benchmark (transit={args.transit}, server in its own process, "
          "uvicorn+httptools)")
    print(f"{'operation':<10} {'requests':>8} {'conc':>5} {'package':>9} {'per s':>8} "
          f"{'p50 ms':>8} {'p99 ms':>8} {'fail':>5} {'cpu ms/req':>10} {'per core/s':>10}")
    for f in results:
        print(f"{f.operation:<10} {f.requests:>8} {f.concurrency:>5} {f.package_bytes:>9} "
              f"{f.per_second:>8} {f.p50_ms:>8} {f.p99_ms:>8} {f.failures:>5} "
              f"{f.server_cpu_ms:>10} {f.capacity_per_core:>10}")
    print("per s: measured with the load generator on the same machine; per core/s: 1000 / the "
          "server's CPU ms per request (what one free core sustains)")
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in results], indent=2) + "\n")
    return 1 if any(f.failures for f in results) else 0


if __name__ == "__main__":
    sys.exit(main())
