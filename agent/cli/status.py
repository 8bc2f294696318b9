"""``lienthong-agent status``: queues, the oldest pending item, polls, failures, the directory.

Read from the journal beside a running daemon (never locked, never written). Whether the agent
runs is told by the journal's lock file: the daemon holds an exclusive lock on it; ``status``
tries a non-blocking shared lock and releases it at once. ``--json`` prints the shape documented
in docs/cli.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli import EXIT_OK
from agent.cli._output import (
    age_seconds,
    clip,
    error_text,
    iso,
    print_json,
    table,
    when,
)
from agent.cli._state import State, add_state_options, utc_now, with_journal
from agent.core.lifecycle import MACHINES, Kind
from agent.errors import JournalError

if TYPE_CHECKING:
    from agent.journal import ItemSummary, JournalSummary, PollRecord, SqliteJournal

#: The settled states that mean "went wrong", per kind (the rest of the settled states are fine).
FAILURE_STATES: Mapping[Kind, tuple[str, ...]] = {
    Kind.OUTBOUND: ("failing", "failed"),
    Kind.INBOUND: ("quarantined", "rejected"),
    Kind.RECEIPT_OUT: ("failed",),
    Kind.RECEIPT_IN: ("malformed", "rejected"),
}
DIRECTION: Mapping[Kind, str] = {
    Kind.OUTBOUND: "out", Kind.INBOUND: "in", Kind.RECEIPT_OUT: "out", Kind.RECEIPT_IN: "in",
}
WHAT: Mapping[Kind, str] = {
    Kind.OUTBOUND: "documents sent", Kind.INBOUND: "documents received",
    Kind.RECEIPT_OUT: "receipts sent", Kind.RECEIPT_IN: "receipts received",
}
REF_PREFIX: Mapping[Kind, str] = {
    Kind.OUTBOUND: "out", Kind.INBOUND: "in",
    Kind.RECEIPT_OUT: "receipt-out", Kind.RECEIPT_IN: "receipt-in",
}
_RECENT_FAILURES = 10


def ref(kind: Kind, item_id: int) -> str:
    """How the operator commands name an item: ``out:12``, ``in:7``, ``receipt-out:3``."""
    return f"{REF_PREFIX[kind]}:{item_id}"


def pending_states(kind: Kind) -> tuple[str, ...]:
    """The unsettled states of a kind: the daemon still has work to do on these items."""
    return tuple(state.value for state in MACHINES[kind].steps)


def register(subparsers: Any) -> None:
    """Add ``status`` to the top-level parser."""
    parser = subparsers.add_parser(
        "status",
        help="is the agent running; queues, oldest pending item, last polls, failures",
        description="Summarise the journal: items per direction and state, the oldest item still"
        " pending and its age, items being retried and failed, the last successful poll of each"
        " kind, the cached organ directory (size, last synchronisation), and whether the agent is"
        " running (it holds the journal's lock). Safe while the"
        " daemon runs. Exit 0, or 3 (configuration) / 4 (no journal).",
        epilog="JSON shape: docs/cli.md#status",
    )
    add_state_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON (docs/cli.md)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    def body(journal: SqliteJournal, state: State) -> int:
        now = utc_now()
        report = build_report(journal, state, now)
        if args.json:
            print_json(report)
        else:
            print(render(report, now))
        return EXIT_OK

    return with_journal(args, body)


# --- the report ------------------------------------------------------------------------------


def build_report(journal: SqliteJournal, state: State, now: dt.datetime) -> dict[str, Any]:
    """The ``status --json`` document."""
    summary = journal.summary()
    return {
        "journal": str(state.journal_path),
        "now": iso(now),
        "agent": agent_state(state.journal_path),
        "queues": {kind.value: _queue(summary, kind, now) for kind in Kind},
        "polls": [_poll(p, now) for p in summary.polls],
        "directory": {
            "size": summary.directory_size,
            "synced_at": iso(summary.directory_synced_at),
            "age_seconds": age_seconds(summary.directory_synced_at, now),
        },
        "failures": [item_json(i) for i in recent_failures(journal)],
    }


def agent_state(journal_path: Path) -> dict[str, Any]:
    """Whether the daemon runs: it holds the journal's lock (probed, released at once)."""
    from agent.journal.sqlite import lock_holder

    try:
        running, pid = lock_holder(journal_path)
    except JournalError as exc:
        return {"running": None, "pid": None, "detail": str(exc)}
    return {"running": running, "pid": pid, "detail": None}


def _queue(summary: JournalSummary, kind: Kind, now: dt.datetime) -> dict[str, Any]:
    counts = dict(summary.counts.get(kind, {}))
    pending = sum(counts.get(s, 0) for s in pending_states(kind))
    failed = sum(counts.get(s, 0) for s in FAILURE_STATES[kind])
    oldest = summary.oldest_pending.get(kind)
    return {
        "direction": DIRECTION[kind],
        "what": WHAT[kind],
        "states": dict(sorted(counts.items())),
        "total": sum(counts.values()),
        "pending": pending,
        "retrying": summary.retrying.get(kind, 0),
        "failed": failed,
        "oldest_pending": None if oldest is None else {
            "created_at": iso(oldest), "age_seconds": age_seconds(oldest, now),
        },
    }


def _poll(poll: PollRecord, now: dt.datetime) -> dict[str, Any]:
    return {
        "name": poll.name,
        "last_success": iso(poll.last_success),
        "age_seconds": age_seconds(poll.last_success, now),
        "last_failure": iso(poll.last_failure),
        "last_error": None if poll.last_error is None else dict(poll.last_error),
    }


def recent_failures(journal: SqliteJournal) -> list[ItemSummary]:
    """The most recently failed items of every kind, newest first."""
    items = [item for kind in Kind
             for item in journal.list_items(kind, states=FAILURE_STATES[kind],
                                            limit=_RECENT_FAILURES)]
    items.sort(key=lambda i: i.updated_at, reverse=True)
    return items[:_RECENT_FAILURES]


def item_json(item: ItemSummary) -> dict[str, Any]:
    """One item of ``list --json`` and of the failures of ``status --json``."""
    return {
        "ref": ref(item.kind, item.id),
        "kind": item.kind.value,
        "id": item.id,
        "direction": DIRECTION[item.kind],
        "organ_id": item.organ_id,
        "state": item.state,
        "label": item.label,
        "document_id": item.document_id,
        "attempts": item.attempts,
        "due_at": iso(item.due_at),
        "updated_at": iso(item.updated_at),
        "last_error": None if item.last_error is None else dict(item.last_error),
    }


# --- the human view --------------------------------------------------------------------------


def render(report: Mapping[str, Any], now: dt.datetime) -> str:
    """The text ``status`` prints."""
    head = f"Journal {report['journal']}\n{_agent_line(report['agent'])}"
    parts = [head, _queues_table(report["queues"], now), _states_lines(report["queues"]),
             _polls_table(report["polls"], now), _directory_line(report["directory"], now),
             _failures_lines(report["failures"])]
    return "\n\n".join(p for p in parts if p)


def _agent_line(agent: Mapping[str, Any]) -> str:
    if agent["running"] is None:
        return f"Agent: unknown ({agent['detail']})"
    if not agent["running"]:
        return ("Agent: not running (no process holds the journal; start it: systemctl start"
                " lienthong-agent)")
    return "Agent: running" + (f" (pid {agent['pid']})" if agent["pid"] else "")


def _queues_table(queues: Mapping[str, Any], now: dt.datetime) -> str:
    rows = []
    for kind, q in queues.items():
        oldest = q["oldest_pending"]
        since = None if oldest is None else dt.datetime.fromisoformat(oldest["created_at"])
        rows.append([kind, q["what"], q["pending"], q["retrying"], q["failed"], q["total"],
                     when(since, now) if since else "-"])
    return table(["QUEUE", "WHAT", "PENDING", "RETRYING", "FAILED", "TOTAL", "OLDEST PENDING"],
                 rows)


def _states_lines(queues: Mapping[str, Any]) -> str:
    lines = ["States:"]
    for kind, q in queues.items():
        counts = ", ".join(f"{state} {count}" for state, count in q["states"].items())
        lines.append(f"  {kind:<12} {counts or 'none yet'}")
    return "\n".join(lines)


def _polls_table(polls: list[dict[str, Any]], now: dt.datetime) -> str:
    if not polls:
        return "Polls: none recorded yet (the daemon has not polled the axis)."
    rows = [[p["name"], _at(p["last_success"], now), _at(p["last_failure"], now),
             clip(error_text(p["last_error"]), 60)] for p in polls]
    return table(["POLL", "LAST SUCCESS", "LAST FAILURE", "LAST ERROR"], rows)


def _directory_line(directory: Mapping[str, Any], now: dt.datetime) -> str:
    if directory["synced_at"] is None:
        return f"Directory: {directory['size']} organs cached, never synchronised"
    synced = _at(directory["synced_at"], now)
    return f"Directory: {directory['size']} organs cached, last synchronised {synced}"


def _failures_lines(failures: list[dict[str, Any]]) -> str:
    if not failures:
        return "Failures: none."
    rows = [[f["ref"], f["state"], f["organ_id"], clip(f["label"], 30),
             clip(error_text(f["last_error"]), 70)] for f in failures]
    return ("Recent failures (lienthong-agent show REF; retry REF for a failed send):\n"
            + table(["REF", "STATE", "ORGAN", "ITEM", "ERROR"], rows))


def _at(text: str | None, now: dt.datetime) -> str:
    return "-" if text is None else when(dt.datetime.fromisoformat(text), now)
