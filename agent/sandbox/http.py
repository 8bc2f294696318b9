"""Bare ASGI plumbing: read and spool bodies, send JSON, stream files, break connections.

No framework: a request costs a dict lookup and one or two ``send`` calls. Large answers stream:
``getEdoc`` sends ``{"status":"OK",...,"data":"`` then the package base64-encoded block by block,
then ``"}``, with an exact ``Content-Length`` computed from the file size.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import struct
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, cast

from agent.errors import ProtocolError

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]


class Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...

# A multiple of 3, so every block but the last encodes without padding.
_B64_BLOCK = 3 * (1 << 18)
_FILE_BLOCK = 1 << 20
_JSON_TYPE = (b"content-type", b"application/json; charset=utf-8")


class ClientGone(Exception):
    """The client disconnected before the request body was read."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, up to ``limit`` bytes (the rest is read and dropped)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if size < limit:
            parts.append(chunk[: limit - size])
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


async def each_chunk(receive: Receive, feed: Callable[[bytes], None]) -> None:
    """Hand every body chunk to ``feed`` as it arrives. When ``feed`` refuses one (a
    :class:`ProtocolError`), the rest is read and dropped before the error is raised, so that the
    client, still sending, can read the answer."""
    refused: ProtocolError | None = None
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk and refused is None:
            try:
                feed(chunk)
            except ProtocolError as exc:
                refused = exc
        if not message.get("more_body", False):
            break
    if refused is not None:
        raise refused


def json_bytes(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def send_bytes(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = (_JSON_TYPE,)
) -> None:
    head = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, payload: object, status: int = 200) -> None:
    await send_bytes(send, status, json_bytes(payload))


def base64_length(size: int) -> int:
    return 4 * ((size + 2) // 3)


def _blocks(path: Path, offset: int, length: int, size: int) -> Iterator[bytes]:
    """``length`` bytes of ``path`` from ``offset``, in blocks of ``size``."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        left = length
        while left > 0:
            block = fh.read(min(size, left))
            if not block:
                raise OSError(f"{path} is shorter than the package recorded in it")
            left -= len(block)
            yield block


async def send_base64_file(
    send: Send, envelope: dict[str, object], path: Path, offset: int, length: int,
    digest: Digest | None = None,
) -> None:
    """``{<envelope>, "data": "<base64 of the bytes>"}``, streamed block by block; the bytes
    also go to ``digest`` when one is given."""
    head = json_bytes(envelope)[:-1] + b',"data":"'
    tail = b'"}'
    total = len(head) + base64_length(length) + len(tail)
    await send({
        "type": "http.response.start", "status": 200,
        "headers": [_JSON_TYPE, (b"content-length", str(total).encode())],
    })
    await send({"type": "http.response.body", "body": head, "more_body": True})
    for block in _blocks(path, offset, length, _B64_BLOCK):
        if digest is not None:
            digest.update(block)
        encoded = base64.b64encode(block)
        await send({"type": "http.response.body", "body": encoded, "more_body": True})
    await send({"type": "http.response.body", "body": tail})


async def send_file(
    send: Send, path: Path, offset: int, length: int, content_type: bytes,
    digest: Digest | None = None,
) -> None:
    """The raw bytes (``downloadEdoc``); they also go to ``digest`` when one is given."""
    await send({
        "type": "http.response.start", "status": 200,
        "headers": [(b"content-type", content_type), (b"content-length", str(length).encode())],
    })
    for block in _blocks(path, offset, length, _FILE_BLOCK):
        if digest is not None:
            digest.update(block)
        await send({"type": "http.response.body", "body": block, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


class _Transport(Protocol):
    def get_extra_info(self, name: str, default: Any = None) -> Any: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...


def _transport(send: Send) -> _Transport | None:
    """uvicorn's transport behind ``send`` (its RequestResponseCycle), when reachable.

    uvloop's transports are not ``asyncio.Transport`` subclasses, hence the duck typing."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if all(hasattr(transport, name) for name in ("get_extra_info", "abort", "close")):
        return cast(_Transport, transport)
    return None


def client_gone(send: Send) -> bool:
    """Whether uvicorn saw the client disconnect (its ``send`` then drops data silently)."""
    cycle = getattr(send, "__self__", None)
    return bool(getattr(cycle, "disconnected", False))


async def break_connection(send: Send, receive: Receive, *, reset: bool) -> None:
    """Close the connection without an answer: with a TCP RST when ``reset``, else a plain close.

    Falls back, when the transport is out of reach, to starting an answer and failing it.
    """
    transport = _transport(send)
    if transport is None:
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", b"1000")]})
        raise ConnectionAbortedError("fault injection: connection dropped")
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if reset:
        transport.abort()
    else:
        transport.close()
    await wait_disconnect(receive, timeout=1.0)


async def wait_disconnect(receive: Receive, timeout: float) -> None:
    """Wait (at most ``timeout`` s) until the client is gone, discarding body chunks."""

    async def drain() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(drain(), timeout)
    except TimeoutError:
        pass
