"""Full disks under a receiving daemon: its exchange folders (the inbox and the spool) or its
journal on a small tmpfs filled to the last byte. The rule under test: the axis is told a document
arrived (``updateStatus done``) only once it is durably in the inbox, so a full disk delays
documents and never loses them; when space returns, they arrive, and nothing half-written stays.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import AgentProcess, SandboxProcess, wait_for
from tests.integration.services.fixtures import DISTRICT, STTTT, Pki
from tests.support.chaos import Cluster
from tests.support.diskfull import Mounts, fill, free_bytes, release
from tests.support.ledger_check import check
from tests.support.pdfs import make_pdf

from .conftest import Record

DOCUMENTS = 3
PDF = make_pdf(pages=2, image_bytes_per_page=100_000)  # about 200 KB: a package of ~280 KB


@pytest.fixture
def mounts() -> Iterator[Mounts]:
    made = Mounts()
    yield made
    made.unmount_all()


def _accepted(cluster: Cluster) -> int:
    return len([e for e in cluster.sandbox.ledger("accepted", message_type="edoc")
                if e["sender"] == STTTT])


def _disk_full_lines(agent: AgentProcess, levels: tuple[str, ...] = ("info", "warning",
                     "error", "critical")) -> list[dict[str, Any]]:
    """The agent's log lines about a full disk (message or error text), at ``levels``."""
    words = ("no space left", "disk is full", "disk-full")
    return [line for line in agent.log_lines() if line.get("level") in levels
            and any(w in str(line).lower() for w in words)]


def _disk_full_errors(agent: AgentProcess) -> list[dict[str, Any]]:
    return _disk_full_lines(agent, ("error", "critical"))


def _acked_but_missing(cluster: Cluster) -> list[str]:
    """Documents the axis was told are received (done) that are not in B's inbox."""
    return check(cluster.dropped, cluster.views(), cluster.sandbox.ledger(),
                 receipts=False).acked_undelivered


def _full_phase(cluster: Cluster, full: Path, filler: Path) -> tuple[int, list[str]]:
    """With ``full`` filled by ``filler``, let B try for a while, then free the space;
    returns (documents in the inbox meanwhile, documents acknowledged but not there)."""
    try:
        logged = len(_disk_full_lines(cluster.b))
        wait_for(lambda: len(_disk_full_lines(cluster.b)) > logged, 30,
                 "B logging the full disk")
        time.sleep(2)  # a few more attempts while the disk stays full
        problems = _acked_but_missing(cluster)
        inbox = len(cluster.b.entries(DISTRICT, "inbox"))
    finally:
        release(filler)
    return inbox, problems


def _record(cluster: Cluster, figures: Record, title: str, extra: dict[str, Any],
            agent: AgentProcess | None = None) -> Any:
    report = cluster.report()
    f = cluster.figures
    errors = _disk_full_errors(agent or cluster.b)
    data = {**f.to_dict(), **extra, "disk_full_error_lines": len(errors),
            "example_log_line": errors[0] if errors else None, "report": report.summary()}
    figures(title, f"{title}: {f.documents} documents, {len(errors)} disk-full error lines, "
                   f"{extra}; lost {f.lost}, duplicated {f.duplicated}, acknowledged without "
                   f"inbox {len(report.acked_undelivered)}", data)
    return report


def _journal_on_tmpfs(tmp_path: Path, sandbox: SandboxProcess, pki: Pki, mounts: Mounts,
                      name: str) -> tuple[Cluster, Path]:
    """A cluster whose agent ``name`` keeps its journal on an 8 MB tmpfs of its own."""
    journal_dir = tmp_path / f"{name}-journal"
    cluster = Cluster(tmp_path, sandbox, pki,
                      extra={name: f"journal: {{path: '{journal_dir / 'journal.sqlite3'}'}}\n"})
    cluster.journals[name] = journal_dir / "journal.sqlite3"
    mounts.tmpfs(journal_dir, "8m")
    return cluster, journal_dir


def _start_fill_and_send(cluster: Cluster, full: Path) -> Any:
    """Start both agents, fill ``full`` to the last byte, let A's DMS drop the documents;
    returns the filler (for ``release``)."""
    cluster.start(cluster.a)
    cluster.start(cluster.b)
    filler = fill(full)
    for _ in range(DOCUMENTS):
        cluster.drop(cluster.a, STTTT, (DISTRICT,), pdf=PDF)
    return filler


def test_a_full_inbox_disk_acknowledges_nothing_and_recovers(
    tmp_path: Path, sandbox: SandboxProcess, pki: Pki, mounts: Mounts, figures: Record,
) -> None:
    """B's exchange root (inbox, spool, work area) on a 16 MB tmpfs: filled completely, then
    filled again leaving room for about one package (the spool fits, the delivery may not).
    Meanwhile A sends three documents. While full, B logs the full disk, none of the three is
    in the inbox and none is acknowledged done; once the space returns all three arrive exactly
    once, with their 01, and no temporary file is left."""
    cluster = Cluster(tmp_path, sandbox, pki)
    exchange = mounts.tmpfs(cluster.b.root / "exchange", "16m")
    try:
        filler = _start_fill_and_send(cluster, exchange)
        wait_for(lambda: _accepted(cluster) == DOCUMENTS, 60, "A's uploads")
        inbox_full, problems_full = _full_phase(cluster, exchange, filler)
        inbox_partial, problems_partial = _full_phase(cluster, exchange,
                                                      fill(exchange, 400_000))
        converged = cluster.settle(timeout=90)
    finally:
        cluster.stop()
    report = _record(cluster, figures, "inbox disk full",
                     {"inbox_while_full": inbox_full, "free_while_partial": 400_000,
                      "inbox_while_partial": inbox_partial})
    assert problems_full == [] and problems_partial == [], "acknowledged but not delivered"
    assert inbox_full == 0
    assert _disk_full_errors(cluster.b), "no error line says the disk is full"
    assert converged and report.ok, report.explain()
    assert free_bytes(exchange) > 0


def test_a_full_journal_disk_acknowledges_nothing_and_recovers(
    tmp_path: Path, sandbox: SandboxProcess, pki: Pki, mounts: Mounts, figures: Record,
) -> None:
    """B's journal on its own 8 MB tmpfs, filled to the last byte while A sends three documents:
    B cannot record what it lists, fetches or delivers. It logs the full disk, nothing is
    acknowledged done that is not in its inbox, and once the space returns every document
    arrives exactly once and the journal passes its integrity check with every item settled.
    (If the daemon exits on the full journal, it is started again, as systemd would.)"""
    cluster, journal_dir = _journal_on_tmpfs(tmp_path, sandbox, pki, mounts, "b")
    exits: list[int | None] = []
    try:
        filler = _start_fill_and_send(cluster, journal_dir)
        wait_for(lambda: _accepted(cluster) == DOCUMENTS, 60, "A's uploads")
        wait_for(lambda: _disk_full_lines(cluster.b), 30, "B logging the full journal")
        time.sleep(3)
        problems = _acked_but_missing(cluster)
        exits.append(cluster.b.proc.poll() if cluster.b.proc is not None else None)
        release(filler)
        converged = cluster.settle(timeout=90)
    finally:
        cluster.stop()
    report = _record(cluster, figures, "journal disk full",
                     {"daemon_exit_while_full": exits[0] if exits else None})
    assert problems == [], "acknowledged but not delivered"
    assert _disk_full_errors(cluster.b), "no error line says the journal's disk is full"
    assert converged and report.ok, report.explain()


def test_a_full_journal_disk_under_the_sender_delays_documents_and_loses_none(
    tmp_path: Path, sandbox: SandboxProcess, pki: Pki, mounts: Mounts, figures: Record,
) -> None:
    """A's journal on its own 8 MB tmpfs, filled while the DMS drops three documents into A's
    outbox: A cannot record what it picks up. Nothing reaches the axis half-recorded, and once
    the space returns (without a restart) all three are sent, delivered once and archived
    (the claims moved into the work area are recorded by the next scans, not left waiting for
    a restart)."""
    cluster, journal_dir = _journal_on_tmpfs(tmp_path, sandbox, pki, mounts, "a")
    try:
        filler = _start_fill_and_send(cluster, journal_dir)
        wait_for(lambda: _disk_full_lines(cluster.a), 30, "A logging the full journal")
        time.sleep(3)
        accepted_while_full = _accepted(cluster)
        assert cluster.a.proc is not None and cluster.a.proc.poll() is None
        release(filler)
        converged = cluster.settle(timeout=90)
    finally:
        cluster.stop()
    report = _record(cluster, figures, "sender journal disk full",
                     {"accepted_while_full": accepted_while_full}, cluster.a)
    assert accepted_while_full == 0
    assert _disk_full_errors(cluster.a), "no error line says the journal's disk is full"
    assert converged and report.ok, report.explain()
