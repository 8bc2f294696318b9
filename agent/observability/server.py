"""The local HTTP endpoint: ``/metrics``, ``/healthz``, ``/readyz``.

A small threaded ``http.server`` in a daemon thread (what prometheus_client itself uses): three
read-only routes, a handful of scrapes a minute, bound to 127.0.0.1 by default. It never blocks the
main loop; a slow client is cut off by the socket timeout.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from agent.observability.health import Health, HealthReport
from agent.observability.metrics import Metrics


class _Handler(BaseHTTPRequestHandler):
    metrics: ClassVar[Metrics]
    health: ClassVar[Health]
    timeout = 10
    server_version = "lienthong-agent"
    sys_version = ""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            body, content_type = self.metrics.render(self.headers.get("Accept"))
            self._send(200, body, content_type)
        elif path == "/healthz":
            self._report(self.health.liveness())
        elif path == "/readyz":
            self._report(self.health.readiness())
        else:
            self._send(404, b"not found: try /metrics, /healthz or /readyz\n", "text/plain")

    def _report(self, report: HealthReport) -> None:
        body = json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")
        self._send(200 if report.ok else 503, body, "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not worth a log line each."""


class ObservabilityServer:
    """Serves metrics and health on ``host:port`` (port 0 picks a free one) until :meth:`stop`."""

    def __init__(self, metrics: Metrics, health: Health, host: str = "127.0.0.1", port: int = 0):
        handler = type("Handler", (_Handler,), {"metrics": metrics, "health": health})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},  # how quickly stop() returns
            name="observability-http",
            daemon=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        """The bound address (the real port when 0 was asked)."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> ObservabilityServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
