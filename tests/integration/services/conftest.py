"""Two agents run in-process against the real sandbox (127.0.0.1:0), real SQLite, real folders.

Each agent is its :class:`~agent.services.AgentServices`, built by the daemon's own wiring, and
driven synchronously by the test: ``scan`` (pickup), ``poll`` (the axis lists) and ``drain``
(every due item through its steps). No threads, no sleeps: a test says exactly what happens when.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.config import load_config_text
from agent.core.lifecycle import Kind
from agent.daemon.wiring import Agent, build_agent
from agent.files.layout import OrganFolders
from agent.sandbox import SandboxConfig, SandboxServer
from agent.services.failpoints import Failpoints

from .fixtures import (
    A_SYS,
    ADMIN_TOKEN,
    B_SYS,
    COMMUNE,
    DISTRICT,
    REGISTRY,
    SECRETS,
    STTTT,
    Pki,
    agent_yaml,
    write_agent_config,
)


class Axis:
    """The sandbox and its admin API."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.http = httpx.Client(timeout=10)

    @property
    def url(self) -> str:
        return self.server.url

    def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        response = self.http.request(method, self.server.admin_url + path, headers=headers, **kw)
        response.raise_for_status()
        return response

    def faults(self, *rules: dict[str, Any], seed: int = 1) -> None:
        self.admin("PUT", "/faults", json={"seed": seed, "rules": list(rules)})

    def ledger(self, event: str | None = None) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.admin("GET", "/ledger?limit=100000").json()["events"]
        return [e for e in events if event is None or e["event"] == event]


@pytest.fixture
def axis(tmp_path: Path) -> Iterator[Axis]:
    server = SandboxServer(SandboxConfig(data_dir=tmp_path / "axis", registry=REGISTRY,
                                         admin_token=ADMIN_TOKEN))
    server.start()
    handle = Axis(server)
    yield handle
    handle.http.close()
    server.stop()


class Node:
    """One agent: its services, journal and folders, driven by the test."""

    def __init__(self, root: Path, config_text: str, secret: str,
                 failpoints: Failpoints | None = None) -> None:
        self.root = root
        self.path = write_agent_config(root, secret, config_text)
        self.failpoints = failpoints
        self.agent: Agent = self._build()

    def _build(self) -> Agent:
        config = load_config_text(self.path.read_text(), source=str(self.path),
                                  base_dir=self.root, environ={})
        agent = build_agent(config, environ={}, failpoints=self.failpoints)
        agent.services.recovery.run()
        agent.services.directory.sync()
        return agent

    def restart(self, failpoints: Failpoints | None = None) -> None:
        """Throw the services away (as a crash would) and build them again on the same files."""
        self.failpoints = failpoints
        try:
            self.agent.close()
        except Exception:  # noqa: BLE001 - a crashed instance may be half closed
            pass
        self.agent = self._build()

    @property
    def services(self) -> Any:
        return self.agent.services

    @property
    def journal(self) -> Any:
        return self.agent.journal

    def folders(self, organ: str) -> OrganFolders:
        return self.agent.ctx.organs.folders(organ)

    def scan(self) -> None:
        self.services.pickup.scan_all()

    def poll(self) -> None:
        self.services.poller.poll("edoc")
        self.services.poller.poll("status")

    def drain(self) -> int:
        return int(self.services.drain())

    def cycle(self) -> None:
        self.scan()
        self.drain()
        self.poll()
        self.drain()

    def items(self, kind: Kind, *states: str) -> list[Any]:
        return list(self.journal.list_items(kind, states=states, limit=1000))

    def close(self) -> None:
        self.agent.close()


NodeFactory = Callable[..., Node]


@pytest.fixture
def make_node(tmp_path: Path, axis: Axis, pki: Pki) -> Iterator[NodeFactory]:
    nodes: list[Node] = []

    def make(name: str, *, extra: str = "", failpoints: Failpoints | None = None,
             key: Path | None = None, chain: Path | None = None) -> Node:
        system, organs = (A_SYS, [STTTT]) if name == "a" else (B_SYS, [DISTRICT, COMMUNE])
        root = tmp_path / name
        text = agent_yaml(base_url=axis.url, system=system, organs=organs, root=root,
                          key=key or (pki.a_key if name == "a" else pki.b_key),
                          chain=chain or (pki.a_chain if name == "a" else pki.b_chain),
                          trust_root=pki.root, extra=extra)
        node = Node(root, text, SECRETS[system], failpoints)
        nodes.append(node)
        return node

    yield make
    for node in nodes:
        try:
            node.close()
        except Exception:  # noqa: BLE001
            pass


def until(condition: Callable[[], Any], *, timeout: float = 10.0, step: Callable[[], Any]
          = lambda: None) -> Any:
    """Run ``step`` until ``condition()`` is true (returned), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        step()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.01)


def inbox_folders(node: Node, organ: str) -> list[Path]:
    inbox = node.folders(organ).inbox
    return sorted(p for p in inbox.iterdir() if not p.name.startswith("."))


def document_json(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "document.json").read_text(encoding="utf-8"))
    return data


def timeline(node: Node, organ: str = STTTT, item: str | None = None) -> dict[str, Any]:
    """The receipts timeline of the sent item named ``item`` (default: the only one)."""
    found = [json.loads(p.read_text(encoding="utf-8"))
             for p in sorted(node.folders(organ).receipts.glob("*.json"))]
    found = [t for t in found if item is None or t["item"] == item]
    assert len(found) == 1, f"{len(found)} timelines for {item!r}"
    data: dict[str, Any] = found[0]
    return data


def utc(seconds: float = 0) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
