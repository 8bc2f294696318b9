"""Processes for the end-to-end tests: the sandbox and the agents, each a real subprocess.

* :class:`SandboxProcess`: ``python -m agent sandbox --port 0 --port-file ...`` with the two
  agencies' systems and organs, and its admin API (faults, ledger).
* :class:`AgentProcess`: ``python -m agent run --config ...`` with a private ``NOTIFY_SOCKET``,
  so the test waits for the daemon's own ``READY=1`` (and sees ``STOPPING=1``, ``WATCHDOG=1``),
  optionally with ``LIENTHONG_FAILPOINTS``.

Every wait is on a condition with a timeout; nothing sleeps a fixed time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from agent.journal.sqlite import SqliteJournal
from tests.integration.services.fixtures import (
    ADMIN_TOKEN,
    REGISTRY,
    SECRETS,
    Pki,
    agent_yaml,
    write_agent_config,
)

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 20.0, what: str = "condition",
             interval: float = 0.02) -> T:
    """Poll ``condition`` until it returns something true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LIENTHONG_", "NOTIFY_SOCKET", "WATCHDOG_", "CREDENTIALS_"))}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


class SandboxProcess:
    def __init__(self, directory: Path, faults: Sequence[str] = (),
                 extra_args: Sequence[str] = ()) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        port_file = directory / "port"
        command = [sys.executable, "-m", "agent", "sandbox", "--port", "0",
                   "--port-file", str(port_file), "--data-dir", str(directory / "data"),
                   "--admin-token", ADMIN_TOKEN]
        for system in REGISTRY.systems:
            command += ["--system", f"{system.id}={SECRETS[system.id]}"]
        for organ in REGISTRY.organs:
            command += ["--organ", f"{organ.code}@{organ.system_id}={organ.name}"]
        for spec in faults:
            command += ["--fault", spec]
        command += list(extra_args)  # e.g. --max-skew, --log-level (tests/reliability, bench)
        self.log = directory / "sandbox.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(command, cwd=REPO, env=clean_env(), stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        port = wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 15,
                        "the sandbox port file")
        self.url = f"http://127.0.0.1:{port}"
        self.http = httpx.Client(timeout=10)
        for organ in REGISTRY.organs:
            if organ.locked:
                self.admin("POST", "/organs", json={"code": organ.code, "locked": True})

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        response = self.http.request(method, f"{self.url}/_sandbox{path}",
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, **kw)
        response.raise_for_status()
        return response.json()

    def faults(self, *rules: dict[str, Any], seed: int = 7) -> None:
        self.admin("PUT", "/faults", json={"seed": seed, "rules": list(rules)})

    def ledger(self, event: str | None = None, **match: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.admin("GET", "/ledger?limit=100000")["events"]
        return [e for e in events if (event is None or e["event"] == event)
                and all(e.get(k) == v for k, v in match.items())]

    def stop(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Notifications:
    """A datagram socket standing for systemd's NOTIFY_SOCKET (short path: AF_UNIX limit)."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="lt-sdn-"))
        self.path = self.directory / "notify"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.setblocking(False)
        self.messages: list[str] = []

    def read(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(65536).decode())
            except BlockingIOError:
                return self.messages

    def seen(self, prefix: str) -> bool:
        return any(line.startswith(prefix) for m in self.read() for line in m.splitlines())

    def close(self) -> None:
        self.sock.close()
        self.path.unlink(missing_ok=True)
        self.directory.rmdir()


class AgentProcess:
    """One agent daemon; its files live under ``root``."""

    def __init__(self, root: Path, *, name: str, sandbox: SandboxProcess, pki: Pki,
                 system: str, organs: Sequence[str], key: Path, chain: Path,
                 extra: str = "", log_level: str = "debug") -> None:
        self.root, self.name, self.organs = root, name, list(organs)
        text = agent_yaml(base_url=sandbox.url, system=system, organs=organs, root=root,
                          key=key, chain=chain, trust_root=pki.root,
                          extra=f"logging: {{format: json, level: {log_level}}}\n" + extra)
        self.config = write_agent_config(root, SECRETS.get(system, "unknown-secret"), text)
        self.proc: subprocess.Popen[bytes] | None = None
        self.grouped = False
        self.notify: Notifications | None = None
        self.runs = 0
        self.started = 0.0  # time.monotonic() of the last start
        self.ready_seconds: float | None = None  # from that start to READY=1

    @property
    def log(self) -> Path:
        return self.root / f"run-{self.runs}.log"

    def start(self, *, failpoints: str | None = None, wait_ready: bool = True,
              env: dict[str, str] | None = None, prefix: Sequence[str] = ()) -> AgentProcess:
        """Start the daemon (``prefix``: a wrapper command such as ``faketime``); with
        ``wait_ready`` return once it sent READY=1 (``ready_seconds``: how long it took)."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.runs += 1
        self.notify = Notifications()
        extra = {"NOTIFY_SOCKET": str(self.notify.path), **(env or {})}
        if failpoints:
            extra["LIENTHONG_FAILPOINTS"] = failpoints
        self.started = time.monotonic()
        # A wrapper (faketime) forks the daemon and does not pass signals on: the two get a
        # process group of their own, and signals go to the whole group.
        self.grouped = bool(prefix)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [*prefix, sys.executable, "-m", "agent", "run", "--config", str(self.config)],
                cwd=self.root, env=clean_env(**extra), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=self.grouped)
        if wait_ready:
            wait_for(lambda: self._ready_or_dead(), 20, f"{self.name} READY=1", interval=0.005)
            self.ready_seconds = time.monotonic() - self.started
            assert self.proc.poll() is None, f"{self.name} exited: {self.tail()}"
        return self

    def _ready_or_dead(self) -> bool:
        assert self.proc is not None and self.notify is not None
        return self.notify.seen("READY=1") or self.proc.poll() is not None

    def wait_exit(self, timeout: float = 20.0) -> int:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} did not exit within {timeout} s") from None

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        if self.grouped:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)

    def _group_alive(self) -> bool:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        if self.proc is not None and self.grouped:
            if self._group_alive():
                os.killpg(self.proc.pid, signal.SIGTERM)
                deadline = time.monotonic() + 15
                while self._group_alive() and time.monotonic() < deadline:
                    self.proc.poll()  # reap the wrapper so that only live members count
                    time.sleep(0.05)
                if self._group_alive():
                    os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        elif self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.notify is not None:
            self.notify.close()
            self.notify = None

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def log_lines(self) -> list[dict[str, Any]]:
        out = []
        for run in range(1, self.runs + 1):
            path = self.root / f"run-{run}.log"
            for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
                if line.startswith("{"):
                    out.append(json.loads(line))
        return out

    # --- the folders --------------------------------------------------------------------------

    def folder(self, organ: str, name: str) -> Path:
        return self.root / "exchange" / organ / name

    def entries(self, organ: str, name: str) -> list[Path]:
        folder = self.folder(organ, name)
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))

    def temp_files(self) -> list[Path]:
        return [p for p in (self.root / "exchange").rglob("*")
                if p.name.startswith(".lienthong-tmp-")]

    @contextmanager
    def journal(self) -> Iterator[SqliteJournal]:
        journal = SqliteJournal.open(self.root / "journal.sqlite3", exclusive=False)
        try:
            yield journal
        finally:
            journal.close()
