"""``lienthong-agent run``: the daemon, in the foreground (systemd runs exactly this)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from agent.cli import EXIT_CONFIG, EXIT_INVALID, EXIT_UNAVAILABLE

_DEFAULT = "/etc/lienthong-agent/agent.yaml"
_EPILOG = """\
what it does:
  picks up documents from each organ's outbox/, signs and sends them; polls the axis, verifies
  and delivers received documents to inbox/; sends and applies status receipts; keeps every step
  in a crash-safe journal and resumes unfinished work at start-up.

signals:
  SIGTERM, SIGINT  stop gracefully within shutdown.deadline_seconds (a second SIGINT: at once)
  SIGHUP           rescan the folders and poll the axis now

exit codes:
  0 stopped on a signal; 1 failed; 3 invalid configuration or key; 4 journal unavailable
  (another agent holds it, or its disk is unusable)
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the agent in the foreground (what systemd runs)",
        description="Run the agent: exchange documents between the document system's folders"
        " and the national axis until stopped.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_EPILOG,
    )
    parser.add_argument("--config", "-c", default=_DEFAULT, type=Path, metavar="FILE",
                        help=f"the configuration file (default {_DEFAULT})")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from agent.config import InvalidConfigError
    from agent.daemon import run
    from agent.errors import (
        ConfigError,
        JournalError,
        KeyMaterialError,
        LienthongError,
        StorageError,
    )

    try:
        return run(args.config)
    except InvalidConfigError as exc:
        print(f"lienthong-agent: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except (ConfigError, KeyMaterialError) as exc:  # a key that cannot be used is configuration
        print(f"lienthong-agent: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except (JournalError, StorageError) as exc:
        print(f"lienthong-agent: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except LienthongError as exc:
        print(f"lienthong-agent: {exc}", file=sys.stderr)
        return EXIT_INVALID
