"""Where the agent keeps its files, following systemd's directory variables.

systemd sets ``$STATE_DIRECTORY``, ``$CONFIGURATION_DIRECTORY``, ``$LOGS_DIRECTORY`` and
``$CREDENTIALS_DIRECTORY`` for a unit with ``StateDirectory=`` etc. and ``LoadCredential=``;
each may hold several paths separated by ``:``, the first is ours. Outside systemd: FHS defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

APP: Final = "lienthong-agent"
DEFAULT_STATE_DIRECTORY: Final = Path("/var/lib") / APP
DEFAULT_CONFIGURATION_DIRECTORY: Final = Path("/etc") / APP
DEFAULT_CONFIG_FILE: Final = DEFAULT_CONFIGURATION_DIRECTORY / "agent.yaml"
JOURNAL_FILE_NAME: Final = "journal.sqlite3"


def _first(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name, "")
    first = value.split(":", 1)[0]
    return Path(first) if first else None


def state_directory(environ: Mapping[str, str] | None = None) -> Path:
    """``$STATE_DIRECTORY`` (systemd ``StateDirectory=``), else /var/lib/lienthong-agent."""
    env = os.environ if environ is None else environ
    return _first(env, "STATE_DIRECTORY") or DEFAULT_STATE_DIRECTORY


def configuration_directory(environ: Mapping[str, str] | None = None) -> Path:
    """``$CONFIGURATION_DIRECTORY`` (``ConfigurationDirectory=``), else /etc/lienthong-agent."""
    env = os.environ if environ is None else environ
    return _first(env, "CONFIGURATION_DIRECTORY") or DEFAULT_CONFIGURATION_DIRECTORY


def credentials_directory(environ: Mapping[str, str] | None = None) -> Path | None:
    """``$CREDENTIALS_DIRECTORY`` (systemd ``LoadCredential=``), or None outside such a unit."""
    env = os.environ if environ is None else environ
    return _first(env, "CREDENTIALS_DIRECTORY")


def default_journal_path(environ: Mapping[str, str] | None = None) -> Path:
    """The journal's path when the configuration does not set ``journal.path``."""
    return state_directory(environ) / JOURNAL_FILE_NAME
