"""Two agent daemons exchanging documents both ways while the sandbox injects faults and the
daemons are killed and restarted: the machinery of the reliability suite's crash runs.

Built on the end-to-end harness (``tests/e2e/harness.py``): the sandbox and both agents are real
subprocesses. Agent A (system 00.53.W00) serves the Sở TT&TT; agent B (02.44.W00, LGSP style)
serves huyện Bến Cầu and xã Long Chữ. A sends to B's organs, B (Bến Cầu) sends to the Sở.

:class:`Cluster` starts, kills and restarts the daemons (a start may end before READY=1 when an
armed failpoint fires first), drops documents and waits until everything settled;
:func:`run_chaos` is the random part: drops in waves, SIGKILLs at random moments, restarts with
random failpoints armed, while :data:`FAULT_PLAN` makes the sandbox misbehave in every way it can.
Everything random comes from one ``random.Random(seed)``.
"""

from __future__ import annotations

import json
import random
import signal
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.core.lifecycle import MACHINES
from agent.journal.sqlite import SqliteJournal
from agent.services.failpoints import POINTS
from tests.e2e.harness import AgentProcess, SandboxProcess, wait_for
from tests.integration.services.fixtures import (
    A_SYS,
    B_SYS,
    COMMUNE,
    DISTRICT,
    STTTT,
    Pki,
    drop_folder,
    metadata,
)
from tests.support.ledger_check import AgentView, Dropped, LedgerReport, check, inbox_documents
from tests.support.pdfs import make_pdf

# Short timeouts so that a hanging axis costs seconds, and retries that never give up during a
# run (the faults are transient: a document in failed/ would be a finding, not noise).
SETTINGS = """
axis: {connect_timeout_seconds: 2, read_timeout_seconds: 3, upload_timeout_seconds: 5}
retry: {backoff_base_seconds: 0.05, backoff_cap_seconds: 0.5, max_attempts: 10000}
shutdown: {deadline_seconds: 3}
"""

# Every fault mode of the sandbox (docs/sandbox.md §6), at rates that leave progress possible.
FAULT_PLAN: list[dict[str, Any]] = [
    {"kind": "latency", "rate": 0.1, "seconds": 0.3},
    {"kind": "5xx", "rate": 0.05},
    {"kind": "429", "rate": 0.03, "retry_after": 1},
    {"kind": "reset", "rate": 0.03},
    {"kind": "hang", "rate": 0.02, "seconds": 4},
    {"kind": "drop", "ops": ["sendEdoc", "updateStatus"], "rate": 0.08},
    {"kind": "malformed", "rate": 0.03},
    {"kind": "duplicate", "ops": ["getReceivedEdocList"], "rate": 0.1},
    {"kind": "reorder", "ops": ["getReceivedEdocList"], "rate": 0.3},
]
UNSETTLED = {kind: [s.value for s in machine.steps] for kind, machine in MACHINES.items()}


@dataclass
class Figures:
    """What a run did, for the summary line and the JSON file."""

    documents: int = 0
    deliveries_expected: int = 0
    kills: int = 0  # SIGKILL sent by the test at a random moment
    failpoint_kills: int = 0  # the daemon killed itself at an armed crash point
    restarts: int = 0
    unexpected_exits: list[str] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)  # fired, by kind
    accepted_copies: int = 0
    lost: int = 0
    duplicated: int = 0
    failed: int = 0
    changed_bytes: int = 0
    converged_seconds: float | None = None

    @property
    def injected_faults(self) -> int:
        return sum(self.faults.values())

    def line(self, name: str) -> str:
        return (f"{name}: {self.documents} documents ({self.deliveries_expected} deliveries), "
                f"{self.kills} kills + {self.failpoint_kills} at failpoints, "
                f"{self.injected_faults} injected faults {dict(sorted(self.faults.items()))}, "
                f"{self.accepted_copies} accepted copies; lost {self.lost}, duplicated "
                f"{self.duplicated}, failed {self.failed}, changed bytes {self.changed_bytes}")

    def to_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in self.__dict__.items()},
                "injected_faults": self.injected_faults}


class Cluster:
    """The sandbox and agents A and B; ``failpoints`` are always set (a broken variant)."""

    def __init__(self, root: Path, sandbox: SandboxProcess, pki: Pki, *,
                 failpoints: dict[str, str] | None = None, settings: str = SETTINGS,
                 extra: dict[str, str] | None = None) -> None:
        """``extra``: more YAML settings for agent "a" or "b" (e.g. its journal path)."""
        self.sandbox = sandbox
        more = extra or {}
        self.a = AgentProcess(root / "a", name="a", sandbox=sandbox, pki=pki, system=A_SYS,
                              organs=[STTTT], key=pki.a_key, chain=pki.a_chain,
                              extra=settings + more.get("a", ""), log_level="info")
        self.b = AgentProcess(root / "b", name="b", sandbox=sandbox, pki=pki, system=B_SYS,
                              organs=[DISTRICT, COMMUNE], key=pki.b_key, chain=pki.b_chain,
                              extra=settings + more.get("b", ""), log_level="info")
        self.journals = {"a": root / "a" / "journal.sqlite3", "b": root / "b" / "journal.sqlite3"}
        self.agents = [self.a, self.b]
        self.always = failpoints or {}
        self.armed: dict[str, str | None] = {"a": None, "b": None}
        self.figures = Figures()
        self.dropped: list[Dropped] = []
        self._numbers = Counter[str]()

    # --- processes ----------------------------------------------------------------------------

    def start(self, agent: AgentProcess, point: str | None = None) -> bool:
        """Start ``agent`` (with ``point`` armed, e.g. ``after-sign=kill@2``); True once it is
        READY, False if it died first (an armed failpoint fired during start-up)."""
        agent.stop()  # closes the previous run's notification socket
        spec = ",".join(s for s in (self.always.get(agent.name), point) if s)
        self.armed[agent.name] = point
        agent.start(failpoints=spec or None, wait_ready=False)
        assert agent.proc is not None and agent.notify is not None
        notify, proc = agent.notify, agent.proc
        wait_for(lambda: notify.seen("READY=1") or proc.poll() is not None, 60,
                 f"{agent.name} READY=1")
        return proc.poll() is None

    def kill(self, agent: AgentProcess) -> None:
        if agent.proc is not None and agent.proc.poll() is None:
            agent.proc.send_signal(signal.SIGKILL)
            agent.proc.wait()
            self.figures.kills += 1

    def reap(self, agent: AgentProcess) -> bool:
        """If ``agent`` died on its own, account for it; True when it is not running."""
        proc = agent.proc
        if proc is None or proc.poll() is None:
            return False
        if proc.returncode == -signal.SIGKILL and self.armed[agent.name]:
            self.figures.failpoint_kills += 1
            self.armed[agent.name] = None
        elif proc.returncode != -signal.SIGKILL:
            self.figures.unexpected_exits.append(f"{agent.name} exited {proc.returncode}: "
                                                 f"{agent.tail(5)}")
        return True

    def stop(self) -> None:
        for agent in self.agents:
            agent.stop()

    # --- documents ------------------------------------------------------------------------------

    def drop(self, agent: AgentProcess, sender: str, recipients: Sequence[str],
             pdf: bytes | None = None) -> Dropped:
        notation = {STTTT: "STTTT-VP", DISTRICT: "UBND-VP", COMMUNE: "UBNDX-VP"}[sender]
        self._numbers[sender] += 1
        number = str(self._numbers[sender])
        document_id = f"{sender},2024/11/05,{number}/{notation}"
        item = f"{notation}-{number}"
        drop_folder(agent.folder(sender, "outbox"), item,
                    metadata(to=list(recipients), number=number, notation=notation,
                             document_id=document_id),
                    {f"{item}.pdf": pdf or make_pdf(text=f"Van ban so {number}")})
        dropped = Dropped(agent.name, sender, item, document_id, tuple(recipients))
        self.dropped.append(dropped)
        return dropped

    # --- waiting and checking --------------------------------------------------------------------

    def views(self) -> list[AgentView]:
        return [AgentView(a.name, tuple(a.organs), a.root / "exchange", self.journals[a.name])
                for a in self.agents]

    def _unsettled(self, agent: AgentProcess) -> int:
        journal = SqliteJournal.open(self.journals[agent.name], exclusive=False)
        try:
            return sum(len(journal.list_items(kind, states=states, limit=1000))
                       for kind, states in UNSETTLED.items())
        finally:
            journal.close()

    def _delivered(self) -> bool:
        views = {v.name: v for v in self.views()}
        present = {(organ, d["sender"], d["document_id"]) for v in views.values()
                   for organ in v.organs for d in inbox_documents(v, organ)}
        return all((r, d.sender, d.document_id) in present for d in self.dropped
                   for r in d.recipients)

    def _receipts_in(self) -> bool:
        for doc in self.dropped:
            agent = self.a if doc.agent == "a" else self.b
            folder = agent.folder(doc.sender, "receipts")
            found = [json.loads(p.read_text()) for p in folder.glob("*.json")] \
                if folder.is_dir() else []
            timeline = next((t for t in found if t["item"] == doc.item), None)
            if timeline is None:
                return False
            got = {r["organ_id"] for r in timeline["recipients"]
                   if any(x["code"] == "01" for x in r["receipts"])}
            if not set(doc.recipients) <= got:
                return False
        return True

    def _inbox_names(self) -> tuple[str, ...]:
        return tuple(sorted(p.name for a in self.agents for organ in a.organs
                            for p in a.entries(organ, "inbox")))

    def converged(self) -> bool:
        return self._delivered() and self._receipts_in() and \
            all(self._unsettled(a) == 0 for a in self.agents)

    def settle(self, timeout: float, quiet: float = 4.0) -> bool:
        """Faults off, both daemons running clean (no crash point armed; the ``always``
        variant stays), then wait until everything arrived and both journals settled (True),
        or until both journals stayed settled and the inboxes unchanged for ``quiet`` seconds
        without that (False: something is missing), or ``timeout``. The daemons are stopped
        after; :meth:`report` says what is wrong."""
        self.sandbox.admin("DELETE", "/faults")
        for agent in self.agents:
            self.reap(agent)
            if self.armed[agent.name] or agent.proc is None or agent.proc.poll() is not None:
                self.kill(agent)
                self.start(agent)
        started = time.monotonic()
        deadline = started + timeout
        ok = False
        last, still_since = None, time.monotonic()
        while time.monotonic() < deadline:
            for agent in self.agents:  # a daemon must not die now; restart it if it does
                if self.reap(agent):
                    self.start(agent)
            if self.converged():
                ok = True
                break
            state = (self._inbox_names(), all(self._unsettled(a) == 0 for a in self.agents))
            if state != last:
                last, still_since = state, time.monotonic()
            elif state[1] and time.monotonic() - still_since > quiet:
                break
            time.sleep(0.5)
        self.figures.converged_seconds = round(time.monotonic() - started, 1) if ok else None
        for agent in self.agents:
            self.reap(agent)
        self.stop()
        return ok

    def report(self, *, receipts: bool = True) -> LedgerReport:
        ledger: list[dict[str, Any]] = self.sandbox.ledger()
        report = check(self.dropped, self.views(), ledger, receipts=receipts)
        f = self.figures
        f.documents, f.deliveries_expected = report.documents, report.deliveries_expected
        f.accepted_copies, f.lost, f.duplicated = report.accepted_copies, len(report.lost), \
            len(report.duplicated)
        f.failed, f.changed_bytes = len(report.failed), len(report.changed_bytes)
        f.faults = dict(Counter(e["detail"].split()[0] for e in ledger if e["event"] == "fault"))
        return report


# --- the random part ----------------------------------------------------------------------------


@dataclass
class ChaosPlan:
    seconds: float  # how long the kills go on
    documents_a: int  # A -> B (to Bến Cầu, Long Chữ or both)
    documents_b: int  # B (Bến Cầu) -> A
    kill_every: tuple[float, float] = (0.5, 2.5)  # seconds between two kills
    failpoint_rate: float = 0.4  # restarts with a crash point armed
    faults: list[dict[str, Any]] = field(default_factory=lambda: list(FAULT_PLAN))


def run_chaos(cluster: Cluster, plan: ChaosPlan, rng: random.Random, fault_seed: int) -> None:
    """Drop the documents in waves over ``plan.seconds`` while killing and restarting both
    daemons at random moments, with the sandbox injecting ``plan.faults``."""
    for agent in cluster.agents:
        cluster.start(agent)
    cluster.sandbox.faults(*plan.faults, seed=fault_seed)
    drops = _schedule(plan, rng)
    started = time.monotonic()
    while time.monotonic() - started < plan.seconds or drops:
        now = time.monotonic() - started
        while drops and drops[0][0] <= now:
            _, side, recipients = drops.pop(0)
            if side == "a":
                cluster.drop(cluster.a, STTTT, recipients)
            else:
                cluster.drop(cluster.b, DISTRICT, recipients)
        for agent in cluster.agents:
            if cluster.reap(agent):
                cluster.start(agent, _maybe_point(rng, plan))
        time.sleep(rng.uniform(*plan.kill_every))
        victim = rng.choice(cluster.agents)
        cluster.kill(victim)
        cluster.start(victim, _maybe_point(rng, plan))


def _schedule(plan: ChaosPlan, rng: random.Random) -> list[tuple[float, str, tuple[str, ...]]]:
    window = plan.seconds * 0.7  # the last kills hit documents already in flight
    choices = [(DISTRICT,), (COMMUNE,), (DISTRICT, COMMUNE)]
    drops = [(rng.uniform(0, window), "a", rng.choice(choices)) for _ in range(plan.documents_a)]
    drops += [(rng.uniform(0, window), "b", (STTTT,)) for _ in range(plan.documents_b)]
    return sorted(drops)


def _maybe_point(rng: random.Random, plan: ChaosPlan) -> str | None:
    if rng.random() >= plan.failpoint_rate:
        return None
    return f"{rng.choice(sorted(POINTS))}=kill@{rng.randint(1, 3)}"
