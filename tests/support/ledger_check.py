"""The ledger check of the reliability suite: what was dropped against what arrived, everywhere.

After a run, :func:`check` reads every source of truth and cross-checks them:

* **the expectations**: each document the test dropped into an outbox (:class:`Dropped`), with
  its DocumentId and recipients;
* **each agent's folders**: outbox/ (nothing left), sent/ and failed/ (with the reason),
  inbox/ (``document.json`` of every delivery), receipts/ (the timeline of each sent document),
  the work area ``.lienthong/`` (empty once everything settled) and temporary names anywhere;
* **the sandbox ledger** (its admin endpoint): the SHA-256 of every accepted copy, every
  ``acknowledged done``;
* **each journal**: integrity, every item settled, every state and transition legal.

and returns a :class:`LedgerReport` whose lists are the problems: ``lost`` (a recipient never got
a document that did not fail), ``duplicated`` (delivered twice), ``changed_bytes`` (two accepted
copies of one document differ), ``acked_undelivered`` (the axis was told ``done`` for a document
that is not in the inbox), receipts missing or doubled, temporary files, journal problems.
``report.ok`` is True only when every list is empty. The checker never waits: the test decides
when the system is quiet.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.core import lifecycle as lc
from agent.files.atomic import TEMP_PREFIX
from agent.journal.sqlite import SqliteJournal


@dataclass(frozen=True)
class Dropped:
    """One document a test dropped into an agent's outbox."""

    agent: str  # the sending agent's name ("a", "b")
    sender: str  # the sending organ
    item: str  # its name in outbox/
    document_id: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class AgentView:
    """Where one agent keeps its things."""

    name: str
    organs: tuple[str, ...]
    exchange: Path  # <root>/exchange, per-organ layout
    journal: Path


@dataclass
class LedgerReport:
    documents: int = 0  # dropped
    deliveries_expected: int = 0  # (document, recipient) pairs
    delivered: int = 0
    failed: list[str] = field(default_factory=list)  # in failed/, with their reasons
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # delivered, never dropped
    changed_bytes: list[str] = field(default_factory=list)
    acked_undelivered: list[str] = field(default_factory=list)
    receipts_missing: list[str] = field(default_factory=list)
    receipts_doubled: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)  # outbox, work area, temporary names
    journal_problems: list[str] = field(default_factory=list)
    accepted_copies: int = 0  # accepted events of the dropped documents (retries included)

    PROBLEMS = ("lost", "duplicated", "unexpected", "changed_bytes", "acked_undelivered",
                "receipts_missing", "receipts_doubled", "leftovers", "journal_problems")

    @property
    def ok(self) -> bool:
        return not self.failed and not any(getattr(self, name) for name in self.PROBLEMS)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        counts = {k: len(v) if isinstance(v, list) else v for k, v in data.items()}
        return {**counts, "ok": self.ok}

    def explain(self, limit: int = 8) -> str:
        lines = [f"{k}: {v}" for k, v in self.summary().items()]
        for name in ("failed", *self.PROBLEMS):
            values = getattr(self, name)
            lines += [f"  {name}: {v}" for v in values[:limit]]
        return "\n".join(lines)


def check(dropped: Sequence[Dropped], agents: Sequence[AgentView],
          ledger: Sequence[Mapping[str, Any]], *, receipts: bool = True) -> LedgerReport:
    """Cross-check everything (see the module docstring). ``receipts``: also require one
    automatic 01 from each recipient on each sent document's timeline."""
    report = LedgerReport(documents=len(dropped))
    by_name = {a.name: a for a in agents}
    organ_agent = {organ: a for a in agents for organ in a.organs}
    _deliveries(report, dropped, agents, organ_agent)
    failed_docs = _failed(report, dropped, by_name)
    _bytes_and_acks(report, dropped, agents, ledger)
    if receipts:
        _receipts(report, dropped, by_name, failed_docs)
    for agent in agents:
        _leftovers(report, agent)
        _journal(report, agent)
    return report


# --- deliveries -------------------------------------------------------------------------------


def inbox_documents(agent: AgentView, organ: str) -> list[dict[str, Any]]:
    inbox = agent.exchange / organ / "inbox"
    out = []
    for folder in sorted(inbox.iterdir()) if inbox.is_dir() else []:
        if folder.name.startswith("."):
            continue
        data: dict[str, Any] = json.loads((folder / "document.json").read_text("utf-8"))
        out.append(data)
    return out


def _deliveries(report: LedgerReport, dropped: Sequence[Dropped], agents: Sequence[AgentView],
                organ_agent: Mapping[str, AgentView]) -> None:
    delivered: Counter[tuple[str, str, str]] = Counter()  # (organ, sender, document_id)
    for agent in agents:
        for organ in agent.organs:
            for doc in inbox_documents(agent, organ):
                delivered[(organ, doc["sender"], doc["document_id"])] += 1
    expected = {(r, d.sender, d.document_id): d for d in dropped for r in d.recipients}
    report.deliveries_expected = len(expected)
    failed_ids = {d.document_id for d in dropped if _in_failed(organ_agent[d.sender], d)}
    for key, doc in expected.items():
        count = delivered.get(key, 0)
        if count:
            report.delivered += 1
        if count > 1:
            report.duplicated.append(f"{key[2]} delivered {count} times to {key[0]}")
        elif count == 0 and doc.document_id not in failed_ids:
            report.lost.append(f"{doc.document_id} from {doc.sender} never reached {key[0]}")
    for key, count in delivered.items():
        if key not in expected:
            report.unexpected.append(f"{key[2]} from {key[1]} in {key[0]}'s inbox ({count}x)")


def _in_failed(agent: AgentView, doc: Dropped) -> bool:
    failed = agent.exchange / doc.sender / "failed"
    return failed.is_dir() and any(p.name.endswith(f"-{doc.item}") for p in failed.iterdir())


def _failed(report: LedgerReport, dropped: Sequence[Dropped],
            agents: Mapping[str, AgentView]) -> set[str]:
    out = set()
    for doc in dropped:
        agent = agents[doc.agent]
        failed = agent.exchange / doc.sender / "failed"
        for claim in failed.iterdir() if failed.is_dir() else []:
            if claim.name.endswith(f"-{doc.item}"):
                error = claim / "error.json"
                reason = json.loads(error.read_text("utf-8")).get("message", "?") \
                    if error.is_file() else "no error.json"
                report.failed.append(f"{doc.document_id}: {reason}")
                out.add(doc.document_id)
    return out


# --- the sandbox ledger -----------------------------------------------------------------------


def _bytes_and_acks(report: LedgerReport, dropped: Sequence[Dropped],
                    agents: Sequence[AgentView], ledger: Sequence[Mapping[str, Any]]) -> None:
    ours = {(d.sender, d.document_id) for d in dropped}
    shas: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for event in ledger:
        if event["event"] != "accepted":
            continue
        key = (event["message_type"], event["sender"], event["document_id"],
               event["recipient"] if event["message_type"] == "status" else "")
        shas[key].add(event["sha256"])
        if event["message_type"] == "edoc" and (event["sender"], event["document_id"]) in ours:
            report.accepted_copies += 1
    for (kind, sender, document_id, recipient), values in sorted(shas.items()):
        if len(values) > 1:
            report.changed_bytes.append(f"{kind} {document_id} from {sender}"
                                        f"{' to ' + recipient if recipient else ''}: "
                                        f"{len(values)} different copies accepted")
    in_inbox = {(organ, doc["sender"], doc["document_id"]) for a in agents for organ in a.organs
                for doc in inbox_documents(a, organ)}
    for event in ledger:
        if event["event"] == "acknowledged" and event.get("detail") == "done" and \
                event["message_type"] == "edoc":
            key = (event["recipient"], event["sender"], event["document_id"])
            if key not in in_inbox:
                report.acked_undelivered.append(
                    f"{event['document_id']} acknowledged done by {event['recipient']} "
                    f"(docId {event['doc_id']}) but not in its inbox")


# --- receipts timelines -----------------------------------------------------------------------


def timelines(agent: AgentView, organ: str) -> dict[str, dict[str, Any]]:
    """The receipts timeline of each sent item, by item name."""
    folder = agent.exchange / organ / "receipts"
    out = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        out[data["item"]] = data
    return out


def _receipts(report: LedgerReport, dropped: Sequence[Dropped],
              agents: Mapping[str, AgentView], failed: set[str]) -> None:
    for doc in dropped:
        if doc.document_id in failed:
            continue
        timeline = timelines(agents[doc.agent], doc.sender).get(doc.item)
        if timeline is None:
            report.receipts_missing.append(f"{doc.document_id}: no receipts timeline")
            continue
        by_organ = {r["organ_id"]: r for r in timeline["recipients"]}
        for organ in doc.recipients:
            codes = [r["code"] for r in by_organ.get(organ, {}).get("receipts", [])]
            if codes.count("01") == 0:
                report.receipts_missing.append(f"{doc.document_id}: no 01 from {organ}")
            elif codes.count("01") > 1:
                report.receipts_doubled.append(f"{doc.document_id}: {codes.count('01')} x 01 "
                                               f"from {organ}")


# --- files left behind and the journal ----------------------------------------------------------


def _leftovers(report: LedgerReport, agent: AgentView) -> None:
    for path in sorted(agent.exchange.rglob("*")):
        if path.name.startswith(TEMP_PREFIX):
            report.leftovers.append(f"{agent.name}: temporary {path.relative_to(agent.exchange)}")
    for organ in agent.organs:
        base = agent.exchange / organ
        for name in ("outbox", "status-out"):
            for item in _entries(base / name):
                report.leftovers.append(f"{agent.name}: still in {organ}/{name}: {item.name}")
        for work in _entries(base / ".lienthong"):
            for item in _entries(work):
                report.leftovers.append(f"{agent.name}: work area {organ}/.lienthong/"
                                        f"{work.name}/{item.name}")


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith(TEMP_PREFIX)) \
        if folder.is_dir() else []


def _journal(report: LedgerReport, agent: AgentView) -> None:
    journal = SqliteJournal.open(agent.journal, exclusive=False)
    try:
        report.journal_problems += [f"{agent.name}: integrity: {p}"
                                    for p in journal.integrity_problems()]
        for kind, machine in lc.MACHINES.items():
            for item in _all_items(journal, kind):
                state = type(machine.initial)(item.state)
                if state not in machine.settled:
                    report.journal_problems.append(
                        f"{agent.name}: {kind.value} {item.id} ({item.label}) unsettled in "
                        f"{item.state}")
                problem = illegal_transition(journal, kind, item.id, item.state)
                if problem:
                    report.journal_problems.append(f"{agent.name}: {problem}")
    finally:
        journal.close()


def _all_items(journal: SqliteJournal, kind: lc.Kind) -> Iterable[Any]:
    before: int | None = None
    while True:
        page = journal.list_items(kind, limit=500, before_id=before)
        yield from page
        if len(page) < 500:
            return
        before = page[-1].id


def illegal_transition(journal: SqliteJournal, kind: lc.Kind, item_id: int,
                       final: str) -> str | None:
    """Replay an item's timeline through its machine's table; the first illegal step."""
    machine = lc.MACHINES[kind]
    state = machine.initial
    for entry in journal.timeline(kind, item_id):
        if entry.state is None or entry.organ_id is not None:
            continue  # receipts and per-recipient delivery reports
        if entry.event in {"picked-up", "listed", "queued"}:
            state = type(machine.initial)(entry.state)
            continue
        events = {e.value: e for e in machine.transitions[state]}
        if entry.event not in events:
            return f"{kind.value} {item_id}: {state.value} --{entry.event}--> is not in the table"
        state = machine.apply(state, events[entry.event])
        if state.value != entry.state:
            return f"{kind.value} {item_id}: {entry.event} recorded {entry.state}, " \
                   f"the table says {state.value}"
    if state.value != final:
        return f"{kind.value} {item_id}: timeline ends in {state.value}, the item is in {final}"
    return None
