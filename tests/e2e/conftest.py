"""Fixtures of the end-to-end tests: a sandbox subprocess per test, two agent daemons.

Agent A (system 00.53.W00) sends for the Sở TT&TT; agent B (system 02.44.W00, LGSP style)
receives for huyện Bến Cầu and xã Long Chữ. Keys come from a development PKI whose root is
both agents' trust anchor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.services.fixtures import (
    A_SYS,
    B_SYS,
    COMMUNE,
    DISTRICT,
    STTTT,
    Pki,
)

from .harness import AgentProcess, SandboxProcess

AgentFactory = Callable[..., AgentProcess]


@pytest.fixture
def agents(tmp_path: Path, sandbox: SandboxProcess, pki: Pki) -> Iterator[AgentFactory]:
    made: list[AgentProcess] = []

    def make(name: str, **kw: Any) -> AgentProcess:
        defaults: dict[str, Any] = (
            {"system": A_SYS, "organs": [STTTT], "key": pki.a_key, "chain": pki.a_chain}
            if name == "a" else
            {"system": B_SYS, "organs": [DISTRICT, COMMUNE], "key": pki.b_key,
             "chain": pki.b_chain})
        agent = AgentProcess(tmp_path / name, name=name, sandbox=sandbox, pki=pki,
                             **{**defaults, **kw})
        made.append(agent)
        return agent

    yield make
    for agent in made:
        agent.stop()
