"""Finding the agent's state for the operator commands: the configuration, the journal, the folders.

``status``, ``list``, ``show`` and ``retry`` read the journal while the daemon may be running: they
open it with ``exclusive=False`` (no lock file, no claims released) and never create it. The
journal is named by the configuration (``journal.path``, default ``$STATE_DIRECTORY``) or
directly with ``--journal``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent.cli import EXIT_UNAVAILABLE
from agent.cli._output import warn
from agent.errors import JournalError

if TYPE_CHECKING:
    from agent.config import AgentConfig
    from agent.files.layout import ExchangeLayout
    from agent.journal import SqliteJournal

DEFAULT_CONFIG = "/etc/lienthong-agent/agent.yaml"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def add_state_options(parser: argparse.ArgumentParser) -> None:
    """``--config`` and ``--journal``, shared by the commands that read the journal."""
    group = parser.add_argument_group("where the agent's state is")
    group.add_argument(
        "-c", "--config", default=DEFAULT_CONFIG, metavar="FILE",
        help="the agent's configuration, for journal.path and the folders"
        f" (default {DEFAULT_CONFIG})",
    )
    group.add_argument(
        "--journal", type=Path, metavar="FILE",
        help="the journal database itself; the configuration is then not read",
    )


@dataclass(frozen=True)
class State:
    """Where the journal is, and the configuration when one was read."""

    journal_path: Path
    config: AgentConfig | None

    def layout(self) -> ExchangeLayout | None:
        from agent.doctor.wiring import exchange_layout

        return None if self.config is None else exchange_layout(self.config)


def locate(args: argparse.Namespace) -> State:
    """The journal named by ``--journal``, else by the configuration (ConfigError if invalid)."""
    if args.journal is not None:
        return State(args.journal, None)
    from agent.config import default_journal_path, load_config

    config = load_config(args.config)
    return State(config.journal.path or default_journal_path(), config)


def open_journal(path: Path) -> SqliteJournal:
    """The journal at ``path``, opened beside a running daemon; JournalError if there is none."""
    from agent.journal import SqliteJournal

    if not path.is_file():
        raise JournalError(
            f"there is no journal at {path}",
            hint="the agent creates it when it first runs; check journal.path in the"
            " configuration, or give --journal FILE",
        )
    return SqliteJournal.open(path, exclusive=False)


def with_journal(
    args: argparse.Namespace, body: Callable[[SqliteJournal, State], int]
) -> int:
    """Run ``body`` with the journal open; exit 4 when it cannot be opened."""
    state = locate(args)
    try:
        journal = open_journal(state.journal_path)
    except JournalError as exc:
        warn(str(exc))
        return EXIT_UNAVAILABLE
    try:
        return body(journal, state)
    finally:
        journal.close()
