"""The ASGI application: axis operations under the configured prefix, admin under ``/_sandbox/``.

For each axis request: draw the faults for the operation, wait the injected latency, answer with
a fault instead when one replaces handling, else verify the XroadVnpt signature, read the body
(``sendEdoc`` streams it to disk), run the operation and send the reply, unless a fault drops or
spoils it. Every answer of a handled request is HTTP 200 JSON (AXIS.md §12.1); only injected faults
and unknown paths use other statuses.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from datetime import timedelta

from agent.core.xroad import verify_request
from agent.errors import RequestAuthError, StorageError
from agent.sandbox.admin import PREFIX as ADMIN_PREFIX
from agent.sandbox.admin import AdminApi
from agent.sandbox.calls import Call, Reply
from agent.sandbox.codes import Failure, Refusal, envelope_fail
from agent.sandbox.faults import Decision, FaultKind, FaultRule
from agent.sandbox.http import (
    ClientGone,
    Receive,
    Scope,
    Send,
    break_connection,
    client_gone,
    each_chunk,
    json_bytes,
    read_body,
    send_base64_file,
    send_bytes,
    send_file,
    send_json,
    wait_disconnect,
)
from agent.sandbox.operations import BY_PATH, OPERATIONS
from agent.sandbox.service import Sandbox
from agent.sandbox.spool import BodyError, Spool, SpooledBody

log = logging.getLogger("agent.sandbox")

_MAX_SMALL_BODY = 1 << 20
_TEXT = (b"content-type", b"text/plain; charset=utf-8")


class SandboxApp:
    """``await app(scope, receive, send)``; one instance per :class:`Sandbox`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.config = sandbox.config
        self.prefix = self.config.normalized_prefix.lower()
        self.admin = AdminApi(sandbox)
        skew = self.config.max_skew
        self.max_skew = timedelta(seconds=skew) if skew is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            await self.admin.handle(scope, receive, send)
            return
        op = self._operation(path)
        if op is None:
            detail = f"khong co thao tac {path}"
            await send_json(send, envelope_fail(self.config.error_table, Failure.BAD_PARAMETER,
                                                detail), 404)
            return
        started = time.perf_counter()
        outcome = await self._serve(op, scope, receive, send)
        if self.config.log_requests:
            ms = (time.perf_counter() - started) * 1000
            log.info("%s %s -> %s (%.1f ms)", scope["method"], op, outcome, ms)

    def _operation(self, path: str) -> str | None:
        lowered = path.lower()
        if self.prefix and not lowered.startswith(self.prefix + "/"):
            return None
        return BY_PATH.get(lowered[len(self.prefix) + 1:].rstrip("/"))

    async def _serve(self, op: str, scope: Scope, receive: Receive, send: Send) -> str:
        decision = self.sandbox.faults.decide(op)
        for rule in decision.fired:
            self.sandbox.mailbox.note("fault", detail=f"{rule.kind.value} {op}")
        if decision.latency:
            await asyncio.sleep(decision.latency)
        if decision.before is not None:
            await self._fault_instead(decision.before, receive, send)
            return f"fault {decision.before.kind.value}"
        try:
            reply = await self._reply(op, scope, receive, decision)
        except ClientGone:
            return "client gone"
        return await self._answer(op, reply, decision, receive, send)

    async def _reply(self, op: str, scope: Scope, receive: Receive, decision: Decision) -> Reply:
        try:
            call = await self._call(op, scope, receive, decision)
            return await self._run(call)
        except Refusal as refusal:
            return Reply(envelope_fail(self.config.error_table, refusal.failure, refusal.detail))

    async def _call(self, op: str, scope: Scope, receive: Receive, decision: Decision) -> Call:
        self.sandbox.directory.refresh()
        try:
            verified = verify_request(
                scope["headers"], self.sandbox.directory.secret,
                now=self.sandbox.clock.now(), max_skew=self.max_skew,
            )
        except RequestAuthError as exc:
            log.info("refused %s: %s", op, exc.message)  # messages never carry secrets
            raise Refusal(Failure.AUTH, exc.message) from None
        call = Call(op, verified.systemid, verified.params, decision=decision)
        if op == "sendEdoc":
            call.spooled = await self._spool(receive)
        else:
            call.body = await read_body(receive, _MAX_SMALL_BODY)
        return call

    async def _spool(self, receive: Receive) -> SpooledBody:
        spool = Spool(self.sandbox.spool_dir, max_bytes=self.config.max_package_bytes,
                      memory_limit=self.config.memory_limit)
        try:
            await each_chunk(receive, spool.feed)
            return spool.finish()
        except BodyError as exc:
            spool.discard()
            raise Refusal(Failure.INVALID_FILE, exc.message) from None
        except BaseException:
            spool.discard()
            raise

    async def _run(self, call: Call) -> Reply:
        handler = OPERATIONS[call.op]
        try:
            if call.spooled is not None and self.config.ingest_threads > 0:
                # parsing, hashing, writing and SQLite release the GIL: a second core helps
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self.sandbox.pool, handler, self.sandbox, call)
            return handler(self.sandbox, call)
        except StorageError as exc:
            log.error("%s failed: %s", call.op, exc.message)
            raise Refusal(Failure.FILE_PROCESSING, "khong luu duoc") from None
        except Refusal:
            raise
        except Exception:  # noqa: BLE001 - the sandbox answers FAIL 20 instead of dropping the request
            log.exception("%s failed unexpectedly", call.op)
            raise Refusal(Failure.SYSTEM) from None

    async def _answer(
        self, op: str, reply: Reply, decision: Decision, receive: Receive, send: Send
    ) -> str:
        after = decision.after
        if after is not None:
            self.sandbox.mailbox.note("response-dropped" if after.kind is FaultKind.DROP
                                      else "response-malformed", detail=op)
            if after.kind is FaultKind.DROP:
                await break_connection(send, receive, reset=False)
            else:
                body = json_bytes(reply.payload)
                await send_bytes(send, 200, body[: max(1, len(body) // 2)])
            return f"handled, fault {after.kind.value}"
        await self._send_reply(reply, send)
        return str(reply.payload.get("ErrorCode"))

    async def _send_reply(self, reply: Reply, send: Send) -> None:
        if reply.file is None:
            await send_json(send, reply.payload)
            return
        digest = None if reply.known_sha256 else hashlib.sha256()
        where = (reply.file, reply.offset, reply.length)
        if reply.raw:
            await send_file(send, *where, b"application/xml; charset=utf-8", digest)
        else:
            await send_base64_file(send, reply.payload, *where, digest)
        if reply.on_sent is not None and not client_gone(send):
            reply.on_sent(digest.hexdigest() if digest is not None else reply.known_sha256)

    async def _fault_instead(self, rule: FaultRule, receive: Receive, send: Send) -> None:
        if rule.kind is FaultKind.ERROR_5XX:
            await send_bytes(send, rule.status, b"sandbox fault injection: server error", [_TEXT])
        elif rule.kind is FaultKind.RATE_LIMIT:
            headers = [_TEXT, (b"retry-after", str(rule.retry_after).encode())]
            await send_bytes(send, 429, b"sandbox fault injection: too many requests", headers)
        elif rule.kind is FaultKind.RESET:
            await break_connection(send, receive, reset=True)
        else:  # hang: say nothing until the client gives up or the time is over
            await wait_disconnect(receive, timeout=rule.duration)
            await break_connection(send, receive, reset=False)
