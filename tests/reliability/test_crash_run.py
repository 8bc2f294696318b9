"""The random crash run: documents both ways between two daemons while the sandbox injects every
fault mode and the daemons are SIGKILLed at random moments (and at armed crash points), then the
ledger check across outboxes, the sandbox ledger, inboxes, receipts timelines and journals.

The negative test runs the same machinery and the same check with a deliberately broken daemon
(``broken:mark-sent-before-upload``): the check must report the document it loses.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from tests.e2e.harness import SandboxProcess, wait_for
from tests.integration.services.fixtures import DISTRICT, STTTT, Pki
from tests.support.chaos import FAULT_PLAN, ChaosPlan, Cluster, run_chaos

from .conftest import SEED, Record

FAULT_KINDS = {rule["kind"] for rule in FAULT_PLAN}
# The run's size; the defaults keep the suite within its time budget on two cores.
SECONDS = float(os.environ.get("LIENTHONG_RELIABILITY_SECONDS", "90"))
DOCUMENTS = int(os.environ.get("LIENTHONG_RELIABILITY_DOCUMENTS", "100"))


def test_random_kills_and_every_fault_lose_nothing_and_duplicate_nothing(
    tmp_path: Path, sandbox: SandboxProcess, pki: Pki, figures: Record,
) -> None:
    """100 documents (A -> B to one or both of its organs, B -> A), dropped in waves over 90 s
    while both daemons are killed every 0.3-1.8 s (40 % of restarts with a random crash point
    armed) and the sandbox injects latency, 5xx, 429, resets, hangs, lost acknowledgements,
    malformed answers, duplicates and reordering. Once the faults stop, every document is in
    each recipient's inbox exactly once, none failed, every accepted copy of a document is
    byte-identical, nothing was acknowledged done without being in the inbox, each recipient's
    01 is on the sender's timeline exactly once, no temporary file or work item is left, and
    both journals pass the integrity check with every item settled through legal transitions."""
    cluster = Cluster(tmp_path, sandbox, pki)
    try:
        run_chaos(cluster, ChaosPlan(seconds=SECONDS, documents_a=DOCUMENTS * 3 // 5,
                                     documents_b=DOCUMENTS - DOCUMENTS * 3 // 5,
                                     kill_every=(0.3, 1.8)),
                  random.Random(SEED), SEED)
        converged = cluster.settle(timeout=240)
    finally:
        cluster.stop()
    report = cluster.report()
    f = cluster.figures
    figures("random crash run", f.line("random crash run"),
            {**f.to_dict(), "report": report.summary()})
    assert converged and report.ok, report.explain()
    assert f.unexpected_exits == []
    assert f.kills >= 15 and f.failpoint_kills >= 1, "the run did not kill enough to prove much"
    assert set(f.faults) >= FAULT_KINDS, f"never fired: {FAULT_KINDS - set(f.faults)}"


def test_the_check_catches_a_daemon_that_marks_documents_sent_before_uploading(
    tmp_path: Path, sandbox: SandboxProcess, pki: Pki, figures: Record,
) -> None:
    """The same cluster and the same ledger check, but agent A runs the deliberately broken
    variant that records a document as accepted before uploading it, and is killed during its
    second upload. A restart archives that document as sent although the axis never had it: the
    check must report it lost (and so fail), which proves it can see a loss."""
    cluster = Cluster(tmp_path, sandbox, pki, failpoints={"a": "broken:mark-sent-before-upload"})
    try:
        cluster.start(cluster.b)
        cluster.start(cluster.a, "during-upload=kill@2")
        for _ in range(4):
            cluster.drop(cluster.a, STTTT, (DISTRICT,))
        assert cluster.a.proc is not None
        wait_for(lambda: cluster.a.proc is not None and cluster.a.proc.poll() is not None, 60,
                 "the kill during the second upload")
        cluster.reap(cluster.a)
        cluster.start(cluster.a)
        cluster.drop(cluster.b, DISTRICT, (STTTT,))
        converged = cluster.settle(timeout=90)
    finally:
        cluster.stop()
    report = cluster.report()
    f = cluster.figures
    figures("broken variant", f.line("broken variant (must lose)"),
            {**f.to_dict(), "report": report.summary()})
    assert f.failpoint_kills == 1
    assert not converged
    assert not report.ok
    assert len(report.lost) == 1, report.explain()
    assert "never reached 000.00.31.H53" in report.lost[0]
