"""``receipts/<claim>.json``: rewrite a sent document's status timeline from the journal.

Called when the axis accepts a document (it starts), after each receipt or delivery report, and
again by the acknowledge step of a receipt (a crash between applying a receipt and rewriting the
file is repaired there). The whole file is rewritten atomically each time.
"""

from __future__ import annotations

import dataclasses

from agent.core.lifecycle import Kind, OutboundState
from agent.files.receipts import receipts_timeline, write_receipts_timeline
from agent.journal.records import OutboundRecord
from agent.services.context import ServiceContext


def write_timeline(
    ctx: ServiceContext, record: OutboundRecord, state: OutboundState | None = None
) -> None:
    """Rewrite the timeline of ``record`` (``state`` overrides the recorded one: the archive
    step writes the file before it records the archive)."""
    if state is not None:
        record = dataclasses.replace(record, state=state)
    journal = ctx.journal
    timeline = receipts_timeline(record, journal.recipients(record.id),
                                 journal.timeline(Kind.OUTBOUND, record.id), ctx.now())
    write_receipts_timeline(ctx.organs.folders(record.organ_id), record.claim_id, timeline)
