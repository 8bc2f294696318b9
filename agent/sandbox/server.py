"""Run the sandbox: uvicorn (httptools, uvloop) in a thread, on a socket bound before it starts.

Embedding::

    with SandboxServer(SandboxConfig(data_dir=tmp, registry=...)) as server:
        server.url        # "http://127.0.0.1:41234" (+ the configured prefix)
        server.admin_url  # "http://127.0.0.1:41234/_sandbox"

The port is known as soon as :meth:`SandboxServer.start` returns (``port=0`` picks a free one) and
the server is accepting by then. :meth:`stop` shuts down within about a second, cutting hanging
requests. The CLI (``lienthong-agent sandbox``) runs exactly this and waits for SIGTERM / SIGINT.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from types import TracebackType

import uvicorn

from agent.errors import StorageError
from agent.sandbox.app import SandboxApp
from agent.sandbox.config import SandboxConfig
from agent.sandbox.service import Sandbox

_START_TIMEOUT = 15.0


class SandboxServer:
    """One sandbox on ``config.host:config.port``; usable as a context manager."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.sandbox: Sandbox | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    @property
    def base(self) -> str:
        scheme = "https" if self.config.tls_cert is not None else "http"
        return f"{scheme}://{self.config.host}:{self.port}"

    @property
    def url(self) -> str:
        """The axis base URL: operations are ``url + "/sendEdoc"`` and so on."""
        return self.base + self.config.normalized_prefix

    @property
    def admin_url(self) -> str:
        return self.base + "/_sandbox"

    def start(self) -> str:
        """Open the data directory, bind, serve in a thread; return :attr:`url` once accepting."""
        if self._thread is not None:
            raise RuntimeError("the sandbox is already running")
        self.sandbox = Sandbox(self.config)
        self._socket = _bind(self.config.host, self.config.port)
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(_uvicorn_config(SandboxApp(self.sandbox), self.config))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]},
            name=f"sandbox-{self.port}", daemon=True,
        )
        self._thread.start()
        self._wait_started()
        return self.url

    def _wait_started(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        assert self._server is not None and self._thread is not None
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise StorageError("the sandbox server did not start (see the log above)")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving and close the database. Safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        if self.sandbox is not None:
            self.sandbox.close()
        self._server = self._thread = self._socket = self.sandbox = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StorageError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _tls_options(config: SandboxConfig) -> dict[str, object]:
    if config.tls_cert is None:
        return {}
    options: dict[str, object] = {
        "ssl_certfile": str(config.tls_cert), "ssl_keyfile": str(config.tls_key),
    }
    if config.tls_client_ca is not None:
        options |= {"ssl_ca_certs": str(config.tls_client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    return options


def _uvicorn_config(app: SandboxApp, config: SandboxConfig) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        **_tls_options(config),  # type: ignore[arg-type]
        loop="auto",  # uvloop where installed (a dependency on Linux), asyncio otherwise
        http="httptools",
        lifespan="off",
        log_config=None,  # never reconfigure the logging of the process embedding us
        access_log=False,
        proxy_headers=False,
        server_header=False,
        date_header=True,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
    )
