"""What the checks share: the configuration, the clock, and what earlier checks found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.config import AgentConfig
    from agent.signing.keys import SigningIdentity

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class DateSeen:
    """The ``Date`` header of an axis answer and this machine's clock when it arrived."""

    header: str | None
    local: dt.datetime


@dataclass
class Context:
    config_path: Path
    environ: Mapping[str, str]
    clock: Clock  # timezone-aware; injected so tests can skew it
    network: bool = True  # False: the axis is not contacted (and the clock not compared)
    timeout: float = 10.0  # seconds, for each step of the axis call
    config: AgentConfig | None = None
    identity: SigningIdentity | None = None
    date_seen: DateSeen | None = None
