"""The admin and ledger endpoints, under ``/_sandbox/``, apart from the axis paths.

Disabled (404) unless the sandbox was started with an admin token; every request must then carry
``Authorization: Bearer <token>`` (or ``X-Sandbox-Admin-Token: <token>``), else 401. Answers are
JSON. Endpoints:

=======  ========================  ======================================================
GET      /_sandbox/health          ``{"status": "ok"}``
GET      /_sandbox/faults          the fault plan: ``{"seed": N, "rules": [... "fired": n]}``
PUT      /_sandbox/faults          replace it: ``{"seed": N, "rules": [{"kind": ...}]}``
DELETE   /_sandbox/faults          remove every rule
GET      /_sandbox/ledger          ``?since=SEQ&limit=N``: ``{"events": [...], "last": SEQ}``
GET      /_sandbox/items           ``?since=SEQ&limit=N``: every delivery item with its state
GET      /_sandbox/organs          the directory, deleted organs included
POST     /_sandbox/organs          add one organ (registry keys, with ``system``), or change
                                   the keys given of an existing one
GET      /_sandbox/systems         system ids and names (never secrets)
POST     /_sandbox/systems         add or update a system ``{"id", "secret", "name"}``
GET      /_sandbox/error-codes     the error-code table in force
=======  ========================  ======================================================
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs

from agent.errors import ConfigError
from agent.sandbox.faults import plan_from_mapping
from agent.sandbox.http import Receive, Scope, Send, read_body, send_json
from agent.sandbox.registry import SystemSpec, organ_from_mapping, resolve_secret
from agent.sandbox.service import Sandbox

PREFIX = "/_sandbox"
_ORGAN_KEYS = ("name", "pcode", "mail", "mobile", "fax", "locked", "old_code", "qd20_code",
               "level", "id")
_MAX_BODY = 1 << 20

Result = tuple[int, object]


class AdminApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        token = sandbox.config.admin_token
        self.token = token.encode() if token else None
        self.routes: dict[tuple[str, str], Callable[[Scope, bytes], Result]] = {
            ("GET", "/health"): lambda s, b: (200, {"status": "ok"}),
            ("GET", "/faults"): lambda s, b: (200, self.sandbox.faults.snapshot()),
            ("PUT", "/faults"): self.set_faults,
            ("POST", "/faults"): self.set_faults,
            ("DELETE", "/faults"): self.clear_faults,
            ("GET", "/ledger"): self.ledger,
            ("GET", "/items"): self.items,
            ("GET", "/organs"): self.organs,
            ("POST", "/organs"): self.put_organ,
            ("GET", "/systems"): self.systems,
            ("POST", "/systems"): self.put_system,
            ("GET", "/error-codes"): lambda s, b: (200, self.sandbox.config.error_table.rows()),
        }

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None:
            await send_json(send, {"error": "admin endpoints are disabled (--admin-token)"}, 404)
            return
        if not self._authorised(scope):
            await send_json(send, {"error": "missing or wrong admin token"}, 401)
            return
        route = self.routes.get((scope["method"], scope["path"][len(PREFIX):].rstrip("/")))
        if route is None:
            wanted = f"{scope['method']} {scope['path']}"
            await send_json(send, {"error": f"no admin endpoint {wanted}"}, 404)
            return
        body = await read_body(receive, _MAX_BODY)
        try:
            status, payload = route(scope, body)
        except (ConfigError, ValueError) as exc:
            status, payload = 400, {"error": str(exc)}
        await send_json(send, payload, status)

    def _authorised(self, scope: Scope) -> bool:
        assert self.token is not None
        headers = dict(scope["headers"])
        given = headers.get(b"x-sandbox-admin-token", b"")
        auth = headers.get(b"authorization", b"")
        if auth[:7].lower() == b"bearer ":
            given = auth[7:].strip()
        return hmac.compare_digest(given, self.token)

    def set_faults(self, scope: Scope, body: bytes) -> Result:
        rules, seed = plan_from_mapping(_json(body))
        self.sandbox.faults.set(rules, seed)
        return 200, self.sandbox.faults.snapshot()

    def clear_faults(self, scope: Scope, body: bytes) -> Result:
        self.sandbox.faults.set((), self.sandbox.faults.seed)
        return 200, self.sandbox.faults.snapshot()

    def ledger(self, scope: Scope, body: bytes) -> Result:
        since, limit = _paging(scope)
        events = self.sandbox.mailbox.ledger(since, limit)
        return 200, {"events": events, "last": events[-1]["seq"] if events else since}

    def items(self, scope: Scope, body: bytes) -> Result:
        since, limit = _paging(scope)
        return 200, {"items": self.sandbox.mailbox.items(since, limit)}

    def organs(self, scope: Scope, body: bytes) -> Result:
        return 200, [asdict(o) for o in self.sandbox.directory.organs(include_deleted=True)]

    def put_organ(self, scope: Scope, body: bytes) -> Result:
        """Add an organ, or change the given keys of an existing one (the others are kept)."""
        data = _json(body)
        if not isinstance(data, dict):
            raise ConfigError("expected an organ object")
        existing = self.sandbox.directory.organ(str(data.get("code") or ""))
        if existing is not None:
            kept = {k: getattr(existing, k) for k in _ORGAN_KEYS}
            data = kept | {"system": existing.system_id} | data
        organ = self.sandbox.directory.put_organ(organ_from_mapping(data, "organ", None))
        return 200, asdict(organ)

    def systems(self, scope: Scope, body: bytes) -> Result:
        return 200, [{"id": i, "name": n} for i, n in self.sandbox.directory.systems()]

    def put_system(self, scope: Scope, body: bytes) -> Result:
        data = _json(body)
        if not isinstance(data, dict) or not data.get("id"):
            raise ConfigError('expected {"id": ..., "secret": ..., "name": ...}')
        secret = resolve_secret(str(data.get("secret") or ""), where="system.secret")
        name = str(data.get("name") or "")
        self.sandbox.directory.put_system(SystemSpec(str(data["id"]), secret, name))
        return 200, {"id": data["id"]}


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise ConfigError(f"the body is not JSON: {exc}") from None


def _paging(scope: Scope) -> tuple[int, int]:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    since = int(query.get("since", ["0"])[0])
    limit = int(query.get("limit", ["10000"])[0])
    return since, limit
