"""``lienthong-agent list``, ``show REF`` and ``retry REF``: documents and receipts in the journal.

An item is named by a *ref*: its kind and journal id, as ``list`` prints it: ``out:12`` (a
document sent), ``in:7`` (a document received), ``receipt-out:3`` and ``receipt-in:4`` (status
receipts sent and received). ``outbound:12`` and ``inbound:7`` are accepted too.

All three work beside a running daemon. ``retry`` is the only one that writes: it re-queues a
failed item through the journal (``Journal.requeue``), and the daemon picks it up at its next
claim (or at its next start).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from agent.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from agent.cli._output import clip, local, print_json, table, warn
from agent.cli._state import State, add_state_options, utc_now, with_journal
from agent.cli.status import DIRECTION, FAILURE_STATES, item_json, pending_states, ref
from agent.core.lifecycle import MACHINES, Kind

if TYPE_CHECKING:
    from agent.journal import ItemSummary, SqliteJournal

_KINDS = {
    "out": Kind.OUTBOUND, "outbound": Kind.OUTBOUND, "in": Kind.INBOUND, "inbound": Kind.INBOUND,
    "receipt-out": Kind.RECEIPT_OUT, "receipt-in": Kind.RECEIPT_IN,
}
_GROUPS = ("pending", "failed")
_DEFAULT_KINDS = (Kind.OUTBOUND, Kind.INBOUND)
_RETRYABLE = (Kind.OUTBOUND, Kind.RECEIPT_OUT)
_REF_HELP = "the item, as `list` shows it: out:N, in:N, receipt-out:N or receipt-in:N"


def parse_ref(text: str) -> tuple[Kind, int]:
    """``out:12`` -> ``(Kind.OUTBOUND, 12)``; argparse reports a bad ref as a usage error."""
    prefix, _, number = text.strip().partition(":")
    kind = _KINDS.get(prefix.lower())
    if kind is None or not number.isdigit():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an item ref: write out:N, in:N, receipt-out:N or receipt-in:N"
            " (the REF column of `lienthong-agent list`)")
    return kind, int(number)


def register(subparsers: Any) -> None:
    """Add ``list``, ``show`` and ``retry`` to the top-level parser."""
    _register_list(subparsers)
    _register_show(subparsers)
    _register_retry(subparsers)


def _register_list(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list documents sent and received (and receipts), newest first",
        description="List items of the journal, most recently changed first: documents sent"
        " (out) and received (in) by default; status receipts with --kind. Safe while the"
        " daemon runs. Exit 0, 2 (bad filter), 3 (configuration) or 4 (no journal).",
        epilog="states: outbound " + _states(Kind.OUTBOUND) + "; inbound "
        + _states(Kind.INBOUND) + "; receipt-out " + _states(Kind.RECEIPT_OUT) + "; receipt-in "
        + _states(Kind.RECEIPT_IN) + ". Groups: 'pending' (not settled), 'failed' (gone wrong)."
        " JSON shape: docs/cli.md#list",
    )
    add_state_options(parser)
    parser.add_argument("--direction", choices=("in", "out"),
                        help="only items received (in) or sent (out)")
    parser.add_argument("--kind", action="append", choices=[k.value for k in Kind],
                        help="kinds of item (repeatable; default: outbound and inbound documents)")
    parser.add_argument("--state", action="append", metavar="STATE",
                        help="only items in this state, or 'pending' / 'failed' (repeatable)")
    parser.add_argument("--organ", metavar="CODE",
                        help="only items of this organ of ours (sender of out, recipient of in)")
    parser.add_argument("--limit", type=_positive, default=50,
                        help="at most this many items (default 50)")
    parser.add_argument("--json", action="store_true", help="print JSON (docs/cli.md)")
    parser.set_defaults(func=run_list)


def _register_show(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show",
        help="one document or receipt: facts, recipients, its full timeline",
        description="Show one item: the document's facts (số/ký hiệu, trích yếu, DocumentId,"
        " axis DocId), its recipients with their delivery and progress, and its full timeline:"
        " every state change and every status receipt (01-06, 13, 15, 16) with its time and"
        " staff. Exit 0, 1 (no such item), 3 (configuration) or 4 (no journal).",
        epilog="JSON shape: docs/cli.md#show",
    )
    parser.add_argument("ref", type=parse_ref, metavar="REF", help=_REF_HELP)
    add_state_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON (docs/cli.md)")
    parser.set_defaults(func=run_show)


def _register_retry(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "retry",
        help="re-queue a failed document or receipt send",
        description="Re-queue a failed item: a document sent (out:N) or a status receipt sent"
        " (receipt-out:N) that ended in 'failed'. Kept signed bytes are sent again as they are"
        " (same DocumentId); an item that failed before signing starts again from validation."
        " The running daemon picks it up within its next cycle. Items in any other state are"
        " refused. Exit 0, 1 (refused or unknown), 3 (configuration) or 4 (no journal).",
    )
    parser.add_argument("ref", type=parse_ref, metavar="REF", help=_REF_HELP)
    add_state_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON (docs/cli.md)")
    parser.set_defaults(func=run_retry)


def _states(kind: Kind) -> str:
    return "/".join(state.value for state in MACHINES[kind].transitions)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


# --- list ------------------------------------------------------------------------------------


def select_kinds(kinds: Sequence[str] | None, direction: str | None) -> list[Kind]:
    """The kinds ``--kind`` and ``--direction`` select together."""
    chosen = [Kind(k) for k in kinds] if kinds else list(_DEFAULT_KINDS)
    return [k for k in dict.fromkeys(chosen) if direction is None or DIRECTION[k] == direction]


def states_for(kind: Kind, wanted: Iterable[str]) -> list[str]:
    """The states of ``kind`` that the ``--state`` values name (groups expanded)."""
    known = {state.value for state in MACHINES[kind].transitions}
    out: list[str] = []
    for name in wanted:
        if name == "pending":
            out += pending_states(kind)
        elif name == "failed":
            out += FAILURE_STATES[kind]
        elif name in known:
            out.append(name)
    return list(dict.fromkeys(out))


def _unknown_states(kinds: Sequence[Kind], wanted: Sequence[str]) -> list[str]:
    known = {s.value for k in kinds for s in MACHINES[k].transitions} | set(_GROUPS)
    return [name for name in wanted if name not in known]


def run_list(args: argparse.Namespace) -> int:
    kinds = select_kinds(args.kind, args.direction)
    wanted = args.state or []
    unknown = _unknown_states(kinds, wanted)
    if not kinds or unknown:
        what = f"unknown state {', '.join(unknown)}" if unknown else "no kind of item selected"
        warn(f"list: {what} (see `lienthong-agent list --help` for the states)")
        return EXIT_USAGE

    def body(journal: SqliteJournal, state: State) -> int:
        items = collect(journal, kinds, wanted, args.organ, args.limit)
        rows = [describe(journal, item) for item in items]
        if args.json:
            print_json({"items": rows})
        else:
            print(render_list(rows) if rows else "No items.")
        return EXIT_OK

    return with_journal(args, body)


def collect(
    journal: SqliteJournal, kinds: Sequence[Kind], wanted: Sequence[str], organ: str | None,
    limit: int,
) -> list[ItemSummary]:
    """Items of ``kinds`` (filtered), the most recently changed first, at most ``limit``."""
    items: list[ItemSummary] = []
    for kind in kinds:
        states = states_for(kind, wanted)
        if wanted and not states:
            continue
        items += journal.list_items(kind, states=states, organ_id=organ, limit=limit)
    items.sort(key=lambda i: (i.updated_at, i.id), reverse=True)
    return items[:limit]


def describe(journal: SqliteJournal, item: ItemSummary) -> dict[str, Any]:
    """``item_json`` plus what makes a row readable: số/ký hiệu, trích yếu, the other side."""
    row = item_json(item)
    code, subject, peers = None, None, list[str]()
    if item.kind is Kind.OUTBOUND and (out := journal.outbound(item.id)) is not None:
        code, subject = out.code, out.subject
        peers = [r.organ_id for r in journal.recipients(item.id)]
    elif item.kind is Kind.INBOUND and (inb := journal.inbound(item.id)) is not None:
        code, subject, peers = inb.code, inb.subject, [inb.sender_id or ""]
    elif item.kind is Kind.RECEIPT_OUT and (ro := journal.receipt_out(item.id)) is not None:
        code, peers = ro.doc_code, [ro.to_organ]
    elif item.kind is Kind.RECEIPT_IN and (ri := journal.receipt_in(item.id)) is not None:
        peers = [ri.from_organ or ""]
    row.update(code=code, subject=subject, peers=[p for p in peers if p])
    return row


def render_list(rows: Sequence[dict[str, Any]]) -> str:
    body = [[r["ref"], r["state"], r["organ_id"], _peers(r["peers"]), r["code"],
             clip(r["subject"] or r["label"], 40),
             local(dt.datetime.fromisoformat(r["updated_at"]))] for r in rows]
    return table(["REF", "STATE", "ORGAN", "TO / FROM", "SỐ/KÝ HIỆU", "TRÍCH YẾU / ITEM",
                  "UPDATED"], body)


def _peers(peers: Sequence[str]) -> str:
    if not peers:
        return ""
    return peers[0] if len(peers) == 1 else f"{peers[0]} +{len(peers) - 1}"


# --- show ------------------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    from agent.cli._show import build_view, render_view

    kind, item_id = args.ref

    def body(journal: SqliteJournal, state: State) -> int:
        view = build_view(journal, kind, item_id, state.layout())
        if view is None:
            warn(f"the journal has no item {ref(kind, item_id)}")
            return EXIT_INVALID
        if args.json:
            print_json(view)
        else:
            print(render_view(view))
        return EXIT_OK

    return with_journal(args, body)


# --- retry -----------------------------------------------------------------------------------


def run_retry(args: argparse.Namespace) -> int:
    kind, item_id = args.ref

    def body(journal: SqliteJournal, state: State) -> int:
        refusal = retry_refusal(journal, kind, item_id)
        if refusal is not None:
            warn(f"retry {ref(kind, item_id)}: {refusal}")
            return EXIT_INVALID
        new_state = journal.requeue(kind, item_id, utc_now())
        _report_retry(args.json, kind, item_id, new_state)
        return EXIT_OK

    return with_journal(args, body)


def retry_refusal(journal: SqliteJournal, kind: Kind, item_id: int) -> str | None:
    """Why the item cannot be re-queued, or None when it can."""
    if kind not in _RETRYABLE:
        return ("only sends can be retried (out:N, receipt-out:N); a received item that was"
                " refused stays in quarantine/ and the axis does not offer it again")
    record = journal.outbound(item_id) if kind is Kind.OUTBOUND else journal.receipt_out(item_id)
    if record is None:
        return "the journal has no such item"
    if record.state.value != "failed":
        hint = ("it is still in progress: the daemon retries it by itself"
                if record.state.value in pending_states(kind) else "only failed items are retried")
        return f"it is '{record.state.value}', not 'failed' ({hint})"
    return None


def _report_retry(as_json: bool, kind: Kind, item_id: int, new_state: str) -> None:
    resend = new_state == "retry-wait"
    how = ("the kept signed bytes will be sent again (same DocumentId)" if resend
           else "it starts again from validation" if kind is Kind.OUTBOUND
           else "the receipt will be built and sent again")
    if as_json:
        print_json({"ref": ref(kind, item_id), "previous_state": "failed", "state": new_state,
                    "resend_kept_package": resend})
        return
    print(f"{ref(kind, item_id)}: failed -> {new_state}; {how}.")
    print("A running daemon takes it at its next cycle; otherwise at its next start.")
