"""The transport limit: a minimal client of the axis API, raw HTTP/1.1 over asyncio streams.

No httpx, no journal, no files: requests are signed in advance (a frozen timestamp, which the
sandbox accepts without ``--max-skew``) and written on keep-alive connections, answers are read
and checked for ``"status":"OK"``. What the agent achieves is compared with what this loop
achieves on the same machine, against the same sandbox, with the same packages.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from tests.support.axis_reference_client import hash_file, signed_headers

FROZEN = "24112026T023544+0351"


@dataclass
class LoopResult:
    done: int
    failures: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def request(op: str, port: int, system: str, secret: str, params: Sequence[tuple[str, str]],
            body: bytes, content_type: str = "application/json") -> bytes:
    headers = signed_headers(system, secret, content_type, list(params), timestamp=FROZEN)
    lines = [f"POST /{op} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


async def read_response(reader: asyncio.StreamReader) -> bytes:
    """The body of one HTTP/1.1 answer (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return await reader.readexactly(length)
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, data: bytes) -> bytes:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port, limit=1 << 24)
        assert self.reader is not None
        self.writer.write(data)
        return await read_response(self.reader)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def ok(body: bytes) -> bool:
    return b'"status":"OK"' in body[:300] or b'"status": "OK"' in body[:300]


async def _pool(port: int, jobs: list[Callable[[Connection], Awaitable[bool]]],
                concurrency: int) -> LoopResult:
    queue = list(reversed(jobs))
    latencies: list[float] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        conn = Connection(port)
        try:
            while queue:
                job = queue.pop()
                started = time.perf_counter()
                if not await job(conn):
                    failures += 1
                latencies.append(time.perf_counter() - started)
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoopResult(len(latencies) - failures, failures, time.perf_counter() - started,
                      latencies)


def post_packages(port: int, packages: Sequence[bytes], concurrency: int, *, system: str,
                  secret: str, sender: str) -> LoopResult:
    """sendEdoc each package (raw + CRLF, with its hash-file, as the agent sends it)."""
    requests = [request("sendEdoc", port, system, secret,
                        [("from", sender), ("servicetype", "eDoc"), ("messagetype", "edoc"),
                         ("hash-file", hash_file(p, sdk_style=True))], p + b"\r\n",
                        "application/octet-stream") for p in packages]

    def job(data: bytes) -> Callable[[Connection], Awaitable[bool]]:
        async def run(conn: Connection) -> bool:
            return ok(await conn.call(data))
        return run

    return asyncio.run(_pool(port, [job(r) for r in requests], concurrency))


def receive_all(port: int, concurrency: int, *, system: str, secret: str) -> LoopResult:
    """list -> (getEdoc -> updateStatus done) for every listed item: the receiving loop with
    nothing in it but the protocol (the base64 answer is decoded, nothing is written)."""

    async def main() -> LoopResult:
        started = time.perf_counter()
        conn = Connection(port)
        listing = await conn.call(request("getReceivedEdocList", port, system, secret,
                                          [("servicetype", "eDoc"), ("messagetype", "edoc")],
                                          b""))
        conn.close()
        doc_ids = [row["docId"] for row in json.loads(listing)["data"]]

        def job(doc_id: str) -> Callable[[Connection], Awaitable[bool]]:
            async def run(c: Connection) -> bool:
                body = await c.call(request("getEdoc", port, system, secret,
                                            [("docId", doc_id)], b"{}"))
                if not ok(body):
                    return False
                base64.b64decode(json.loads(body)["data"])
                return ok(await c.call(request("updateStatus", port, system, secret,
                                               [("docId", doc_id), ("status", "done")], b"{}")))
            return run

        result = await _pool(port, [job(d) for d in doc_ids], concurrency)
        result.seconds = time.perf_counter() - started
        return result

    return asyncio.run(main())
