"""The hypothesis stateful test of the journal's state machines, with crash and restart steps,
run here seeded and longer than in the integration tests, with its figures.

The machine itself is :class:`tests.integration.journal.test_stateful.JournalMachine`: documents
dropped and listed, worker steps that succeed, fail transiently, fail for good or crash before or
after their side effect, crashes aimed at every crash point of issue 4, and kills and restarts
that abandon the journal and open it again. Each example ends with the drain and its checks:
every transition legal, every item settled, every upload of a document byte-identical, every
good inbound document delivered exactly once and acknowledged. Its broken-variant test (a resumed
upload that signs again) lives beside it.
"""

from __future__ import annotations

import os
from typing import ClassVar

from hypothesis import seed, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.integration.journal.test_stateful import JournalMachine

from .conftest import SEED, Record

EXAMPLES = int(os.environ.get("LIENTHONG_RELIABILITY_JOURNAL_EXAMPLES", "200"))


class CountingMachine(JournalMachine):
    totals: ClassVar[dict[str, int]] = {"examples": 0, "steps": 0, "crashes": 0,
                                        "uploads": 0, "delivered": 0}

    def now(self):  # type: ignore[no-untyped-def]
        self.totals["steps"] += 1
        return super().now()

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            self.totals["examples"] += 1
            self.totals["crashes"] += self.crashes
            self.totals["uploads"] += sum(len(v) for v in self.world.axis_uploads.values())
            self.totals["delivered"] += len(self.world.inbox)


def test_journal_state_machines_survive_random_crashes_and_restarts(figures: Record) -> None:
    for key in CountingMachine.totals:
        CountingMachine.totals[key] = 0
    run = settings(max_examples=EXAMPLES, stateful_step_count=60, deadline=None, database=None)
    run_state_machine_as_test(seed(SEED)(CountingMachine), settings=run)
    totals = dict(CountingMachine.totals)
    figures("journal stateful", f"journal state machines: {totals['examples']} examples, "
            f"{totals['steps']} journal clock ticks, {totals['crashes']} crashes and restarts, "
            f"{totals['uploads']} uploads, {totals['delivered']} deliveries; lost 0, "
            f"duplicated 0 (every example drained and checked)", totals)
    assert totals["examples"] >= min(EXAMPLES, 50) and totals["crashes"] > 0
