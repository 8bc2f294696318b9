"""The ``lienthong-agent`` command: argument parsing and dispatch only.

Each subcommand lives in its own module under ``agent.cli`` and exposes
``register(subparsers) -> None``; the parser it adds sets ``func(args) -> int``.
Heavy imports happen inside the subcommand functions so ``--help`` and ``--version`` stay fast.

Exit codes (documented in the README, section "Exit codes"):
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from agent import __version__
from agent.errors import ConfigError, LienthongError

EXIT_OK = 0  # success; for checks (verify, validate, doctor): everything is valid
EXIT_INVALID = 1  # the thing checked is not valid, or the operation failed
EXIT_USAGE = 2  # wrong command-line usage (argparse)
EXIT_CONFIG = 3  # the configuration file is missing or invalid
EXIT_UNAVAILABLE = 4  # a needed service (the axis, the journal) cannot be reached
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C

__doc__ = (__doc__ or "") + """
  0    success (for checks: valid)
  1    not valid, or the operation failed
  2    command-line usage error
  3    configuration missing or invalid
  4    the axis or another needed service is unreachable
  130  interrupted
"""

# Subcommand modules, in the order they appear in --help.
SUBCOMMANDS: tuple[str, ...] = (
    "run",
    "sandbox",
    "demo",
    "edxml",
    "config",
    "status",
    "documents",
    "send",
    "doctor",
    "keys",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lienthong-agent",
        description=(
            "Connector between an agency's document system (QLVB&ĐH) and the national document "
            "interchange axis (Trục liên thông văn bản quốc gia)."
        ),
        epilog="Exit codes: 0 ok/valid, 1 invalid or failed, 2 usage, 3 configuration, "
        "4 axis or service unreachable, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"lienthong-agent {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"agent.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"agent.cli.{name}":
                raise
            continue  # not built yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(func(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except ConfigError as exc:
        print(f"lienthong-agent: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except LienthongError as exc:
        print(f"lienthong-agent: {exc}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
