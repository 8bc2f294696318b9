"""``lienthong-agent send ITEM...``: hand documents to an organ's outbox, as the document system
does, and (``--wait``) follow them until the axis accepted them or the agent gave up.

Every ITEM is checked before any is handed over (the daemon's own metadata loader and package
checks): when one is refused, none is handed over, so the same command can simply be run again
once it is corrected. On a terminal, a bar shows the bytes copied and, with ``--wait``, a second
one the items accepted. docs/cli.md#send documents the options, the JSON and the exit codes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli import EXIT_INVALID, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from agent.cli._output import print_json, table, warn
from agent.cli._send_items import Item, SendUsageError, Target, check_all, hand_over, target
from agent.cli._state import DEFAULT_CONFIG
from agent.cli.progress import Progress, human_size

if TYPE_CHECKING:
    from agent.config import AgentConfig

_FAILED = ("refused", "held", "failed")


def register(subparsers: Any) -> None:
    """Add ``send`` to the top-level parser."""
    parser = subparsers.add_parser(
        "send",
        help="hand documents to an outbox (bulk sends, large files), optionally wait for the axis",
        description="Hand each ITEM (a document folder with its metadata file, or a ready .edxml"
        " package) to the sender organ's outbox exactly as the folder contract says: checked"
        " first with the agent's own rules (every problem reported with its place), copied under"
        " a hidden name, fsynced, then renamed into place. If any ITEM is refused, none is handed"
        " over. With --wait, follow each item through the journal until the axis accepted it"
        " (sent/) or the agent gave up (failed/, with its error). On a terminal, progress bars"
        " show the bytes copied and the items accepted. Exit 0 (all handed over; with --wait all"
        " accepted), 1 (an item refused or failed), 2 (usage), 3 (configuration) or 4 (with"
        " --wait: not all settled within --timeout, e.g. no agent running).",
        epilog="JSON shape: docs/cli.md#send. The daemon must be running (systemctl start"
        " lienthong-agent) for the items to leave the outbox.",
    )
    parser.add_argument("items", nargs="+", type=Path, metavar="ITEM",
                        help="a document folder (metadata.yaml/.yml/.json and its files) or a"
                        " *.edxml / *.xml package; its name becomes the outbox item's name")
    parser.add_argument("-c", "--config", default=DEFAULT_CONFIG, metavar="FILE",
                        help=f"the agent's configuration (default {DEFAULT_CONFIG})")
    parser.add_argument("--organ", metavar="CODE",
                        help="the sending organ, whose outbox is used (default: the only organ"
                        " of the configuration, or exchange.default_sender)")
    parser.add_argument("--wait", action="store_true",
                        help="wait until the axis accepted each item (or the agent gave up)")
    parser.add_argument("--timeout", type=_seconds, default=300.0, metavar="SECONDS",
                        help="with --wait, give up waiting after this long (default 300)")
    parser.add_argument("--json", action="store_true",
                        help="print JSON, one entry per item (docs/cli.md#send)")
    parser.set_defaults(func=run)


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def run(args: argparse.Namespace) -> int:
    from agent.config import load_config

    config = load_config(args.config)
    try:
        where = target(config, args.organ)
    except SendUsageError as exc:
        warn(f"send: {exc}")
        return EXIT_USAGE
    if not where.folders.outbox.is_dir():
        warn(f"send: there is no outbox {where.folders.outbox}: the agent creates it when it"
             " starts; is it running with this configuration?")
        return EXIT_UNAVAILABLE
    items = [Item(path) for path in args.items]
    check_all(items, where)
    if all(i.state == "checked" for i in items):
        _deliver(items, where, config, args)
    report(items, where, args.json, args.wait)
    return exit_code(items)


def _deliver(items: Sequence[Item], where: Target, config: AgentConfig,
             args: argparse.Namespace) -> None:
    """Hand the items over; with --wait, follow them in the journal until settled."""
    from agent.cli._send_watch import Follower, follow, mark_overdue, newest_outbound

    journal_path = _journal_path(config)
    baseline = newest_outbound(journal_path) if args.wait else 0
    copy(items, where)
    if not args.wait or not any(i.outbox_path for i in items):
        return
    _warn_if_stopped(journal_path, args.timeout)
    follower = Follower(journal_path, baseline, where.folders, where.folder_organ)
    try:
        follow(items, follower, time.monotonic() + args.timeout)
    finally:
        follower.close()
    mark_overdue(items, args.timeout)


def copy(items: Sequence[Item], where: Target) -> None:
    """Hand every item over with one bar of bytes; an item that fails is marked, not fatal."""
    from agent.errors import LienthongError

    with Progress("handing over", total=sum(i.size for i in items), unit="bytes") as bar:
        for item in items:
            try:
                hand_over(item, where.folders.outbox, bar.advance)
            except LienthongError as exc:
                item.refuse(exc, "failed")


def _journal_path(config: AgentConfig) -> Path:
    from agent.config import default_journal_path

    return config.journal.path or default_journal_path()


def _warn_if_stopped(journal_path: Path, timeout: float) -> None:
    from agent.cli.status import agent_state

    if agent_state(journal_path)["running"] is False:
        warn(f"send: no agent holds the journal {journal_path}: is the agent running? Waiting"
             f" up to {timeout:g} s")


def exit_code(items: Sequence[Item]) -> int:
    """1 if any item was refused or failed, else 4 if any is still open, else 0."""
    if any(i.state in _FAILED for i in items):
        return EXIT_INVALID
    if any(i.error is not None for i in items):
        return EXIT_UNAVAILABLE
    return EXIT_OK


# --- output ----------------------------------------------------------------------------------


def report(items: Sequence[Item], where: Target, as_json: bool, waited: bool) -> None:
    """The result on stdout (a table or JSON), each problem on stderr."""
    for item in items:
        if item.error is not None:
            why = _why(item)
            warn(f"send: {item.state} {item.source}:{chr(10) if chr(10) in why else ' '}{why}")
    if as_json:
        print_json({"organ": where.organ, "outbox": str(where.folders.outbox),
                    "items": [i.json() for i in items]})
        return
    handed = [i for i in items if i.outbox_path is not None]
    if handed:
        size = human_size(sum(i.size for i in handed))
        print(f"Handed over {len(handed)} of {len(items)} items ({size}) to"
              f" {where.folders.outbox}")
    print(table(["ITEM", "STATE", "REF", "AXIS DOCID", "NOW IN"],
                [[i.name, i.state, i.ref, i.axis_doc_id, _where(i)] for i in items]))
    if handed and not waited:
        print("The agent takes them within seconds; follow them with `lienthong-agent list`"
              " (or run send with --wait).")


def _where(item: Item) -> str | None:
    path = item.archive or item.outbox_path
    return None if path is None else str(path)


def _why(item: Item) -> str:
    """error.txt of a failed item when there is one, else the error with its problems."""
    if item.archive is not None and (text := _read(item.archive / "error.txt")):
        return text
    error = item.error or {}
    message = str(error.get("message", error.get("code", "error")))
    lines = [message] + [f"- {p}" for p in error.get("problems", []) if p not in message]
    if error.get("hint"):
        lines.append(f"({error['hint']})")
    return "\n".join(lines)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").rstrip()
    except OSError:
        return None
