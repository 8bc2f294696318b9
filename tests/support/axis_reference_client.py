"""A minimal client of the national axis, written only from AXIS.md §5 (httpx + hmac by hand).

Independent on purpose: it imports nothing from ``agent`` (not ``agent.axis``, not
``agent.core.xroad``), so a test that passes with it shows the sandbox follows the protocol text,
not merely the agent's own reading of it. It can also misbehave the way real clients do (frozen
timestamps, accumulated headers, base64 bodies, SDK-style ``hash-file``).

Signing (§5.2): the signed fields are ``systemid``, the call's parameters, ``timestamp`` and
``Content-Type``; each is sent as ``XroadVnpt-<k>: <v>`` and becomes a member of the compact JSON
``XroadVnpt-sign-header``, whose HMAC-SHA256 under the secret is ``XroadVnpt-hash-header``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

import httpx

VIETNAM = dt.timezone(dt.timedelta(hours=7))
USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
SDK_VERSION = "3.0.201608"

Pairs = Sequence[tuple[str, str]]


def vxp_timestamp(now: dt.datetime | None = None) -> str:
    """``ddMMyyyy'T'HHmmss'+'SSSS``: local time, a literal ``+``, milliseconds on four digits."""
    now = now or dt.datetime.now(VIETNAM)
    return now.strftime("%d%m%YT%H%M%S") + f"+{now.microsecond // 1000:04d}"


def sign_fields(secret: str, fields: Pairs) -> tuple[str, str, str]:
    """(sign-header-key, sign-header, hash-header) for the fields, in their order."""
    signed = {"XroadVnpt-" + k: v for k, v in fields}
    text = json.dumps(signed, separators=(",", ":"), ensure_ascii=False)
    mac = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    return ";".join(k for k, _ in fields), text, mac


def signed_headers(
    systemid: str, secret: str, content_type: str, params: Pairs, *, timestamp: str | None = None
) -> list[tuple[str, str]]:
    """Every header of one call, in the SDK's order (examples/hmac-vector.json)."""
    fields = [("systemid", systemid), *params, ("timestamp", timestamp or vxp_timestamp()),
              ("Content-Type", content_type)]
    key, text, mac = sign_fields(secret, fields)
    headers: list[tuple[str, str]] = []
    for k, v in fields:
        if k == "Content-Type":
            headers.append(("Content-Type", v))
        headers.append(("XroadVnpt-" + k, v))
    headers += [("XroadVnpt-sign-header-key", key), ("XroadVnpt-sign-header", text),
                ("XroadVnpt-hash-header", mac), ("User-Agent", USER_AGENT),
                ("XroadVnpt-version", SDK_VERSION)]
    return headers


def hash_file(data: bytes, *, sdk_style: bool = True) -> str:
    """``hash-file``: SHA-256 hex; the SDK writes each byte without its leading zero (§5.3)."""
    digest = hashlib.sha256(data).digest()
    if not sdk_style:
        return digest.hex()
    return "".join(format(b, "x") for b in digest)


class AxisReferenceClient:
    """Calls the operations of §5.4 as one system. Answers are returned as parsed JSON dicts."""

    def __init__(
        self, base_url: str, systemid: str, secret: str, *, http: httpx.Client | None = None,
        frozen_timestamp: str | None = None, accumulate: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.systemid = systemid
        self.secret = secret
        self.http = http or httpx.Client(timeout=30)
        self.frozen_timestamp = frozen_timestamp  # the SDK's per-instance timestamp bug
        self.accumulate = accumulate  # the SDK never clears its header map
        self._kept: dict[str, str] = {}

    def request(
        self, op: str, params: Pairs = (), body: bytes = b"", *,
        content_type: str = "application/json", method: str = "POST",
    ) -> httpx.Response:
        """One signed call; returns the raw response."""
        pairs = list(params)
        if self.accumulate:
            self._kept.update(pairs)
            pairs = list(self._kept.items())
        headers = signed_headers(self.systemid, self.secret, content_type, pairs,
                                 timestamp=self.frozen_timestamp)
        raw = [(k.encode(), v.encode("utf-8")) for k, v in headers]
        return self.http.request(method, f"{self.base_url}/{op}", headers=raw, content=body)

    def call(self, op: str, params: Pairs = (), body: bytes = b"", **kw: Any) -> dict[str, Any]:
        response = self.request(op, params, body, **kw)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    # --- documents ------------------------------------------------------------------------------

    def send_edoc(
        self, package: bytes, *, from_: str, messagetype: str = "edoc",
        hash_style: str | None = "sdk", base64_body: bool = False, to: list[str] | None = None,
        servicetype: str | None = "eDoc",
    ) -> dict[str, Any]:
        """POST the package (raw + CRLF, or its base64 text) with the SDK's parameters."""
        params = [("from", from_)]
        if servicetype is not None:
            params.append(("servicetype", servicetype))
        params.append(("messagetype", messagetype))
        if to is not None:
            params.append(("to", json.dumps(to, separators=(",", ":"))))
        if hash_style is not None:
            params.append(("hash-file", hash_file(package, sdk_style=hash_style == "sdk")))
        body = base64.b64encode(package) if base64_body else package + b"\r\n"
        return self.call("sendEdoc", params, body, content_type="application/octet-stream")

    def get_received_edoc_list(self, messagetype: str = "edoc") -> dict[str, Any]:
        return self.call("getReceivedEdocList", [("servicetype", "eDoc"),
                                                 ("messagetype", messagetype)])

    def get_edoc(self, doc_id: str, *, id_name: str = "docId") -> dict[str, Any]:
        return self.call("getEdoc", [(id_name, doc_id)], b"{}")

    def get_edoc_bytes(self, doc_id: str) -> bytes:
        """The package: ``data`` base64-decoded."""
        answer = self.get_edoc(doc_id)
        if answer.get("status") != "OK":
            raise AssertionError(f"getEdoc failed: {answer}")
        return base64.b64decode(answer["data"])

    def download_edoc(self, doc_id: str) -> httpx.Response:
        return self.request("downloadEdoc", [("docId", doc_id)], method="GET")

    def update_status(
        self, doc_id: str, status: str, description: str | None = None
    ) -> dict[str, Any]:
        params = [("docId", doc_id), ("status", status)]
        if description is not None:
            params.append(("description", description))
        return self.call("updateStatus", params, b"{}")

    def get_sent_edoc_list(self, doc_id: str, messagetype: str = "edoc") -> dict[str, Any]:
        return self.call("getSentEdocList", [("servicetype", "eDoc"), ("messagetype", messagetype),
                                             ("docId", doc_id)])

    def count_receive_edoc(self) -> dict[str, Any]:
        return self.call("countReceiveEdoc", [("servicetype", "eDoc"), ("messagetype", "edoc")],
                         b"{}")

    def count_receive_status(self) -> dict[str, Any]:
        return self.call("countReceiveStatus", [("servicetype", "eDoc"),
                                                ("messagetype", "status")], b"{}")

    # --- directory ------------------------------------------------------------------------------

    def get_agencies_list(self) -> dict[str, Any]:
        return self.call("getAgenciesList")

    def get_agencies_list_qd20(self, level: str = "1") -> dict[str, Any]:
        return self.call("getAgenciesListQD20", [("level", level)])

    def get_synchronize_unit(self) -> dict[str, Any]:
        return self.call("getSynchronizeUnit")

    def register_agency(self, agency: dict[str, str]) -> dict[str, Any]:
        body = json.dumps({"id": "", **agency}, ensure_ascii=False).encode()
        return self.call("registerAgency", (), body)

    def delete_agency(self, code: str) -> dict[str, Any]:
        return self.call("deleteAgency", [("AgencyCode", code)], b"{}")
