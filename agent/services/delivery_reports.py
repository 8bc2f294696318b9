"""Per-recipient delivery state of sent documents, from the axis (getSentEdocList, AXIS.md §6).

A recipient's receipt (01...) already proves delivery; this check covers recipients whose
systems send no receipt. Each run looks at the documents accepted within
``polling.sent_status_max_age_seconds`` that still have a recipient neither delivered nor
undeliverable (newest first, at most :data:`MAX_PER_RUN`), asks the axis for their rows, records
``done`` as delivered and ``fail`` as undeliverable, and rewrites the receipts timeline of every
document that changed. Best effort: a failed call is logged and tried at the next run.
"""

from __future__ import annotations

import datetime as dt
import time

from agent.axis.models import SentRow
from agent.core.lifecycle import DeliveryEvent, DeliveryState, Kind, OutboundState
from agent.errors import AxisError, IllegalTransitionError, JournalError
from agent.journal.records import OutboundRecord
from agent.observability import get_logger, log_context
from agent.services.context import ServiceContext
from agent.services.timelines import write_timeline

log = get_logger(__name__)
MAX_PER_RUN = 200
_OPEN = frozenset({DeliveryState.PENDING, DeliveryState.SENT})
_EVENTS = {"done": DeliveryEvent.AXIS_DELIVERED, "fail": DeliveryEvent.AXIS_FAILED}


class DeliveryReports:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def check(self) -> int:
        """One run; returns the number of recipients whose state changed."""
        started, changed = time.monotonic(), 0
        for record in self._open_documents():
            with log_context(step="delivery-report", direction="outbound",
                             organ=record.organ_id, document_id=record.document_id or ""):
                try:
                    changed += self._check_one(record)
                except AxisError as exc:
                    log.info("delivery report unavailable; retried at the next run",
                             error=exc.message)
                    self._ctx.count("observe_poll", "sent", time.monotonic() - started, ok=False)
                    return changed
        self._ctx.count("observe_poll", "sent", time.monotonic() - started)
        return changed

    def _open_documents(self) -> list[OutboundRecord]:
        ctx = self._ctx
        oldest = ctx.now() - dt.timedelta(seconds=ctx.config.polling.sent_status_max_age_seconds)
        found: list[OutboundRecord] = []
        for summary in ctx.journal.list_items(Kind.OUTBOUND, states=[OutboundState.ARCHIVED],
                                              limit=MAX_PER_RUN * 5):
            record = ctx.journal.outbound(summary.id)
            if record is None or record.created_at < oldest:
                break
            if record.axis_doc_id and any(r.delivery in _OPEN
                                          for r in ctx.journal.recipients(record.id)):
                found.append(record)
            if len(found) >= MAX_PER_RUN:
                break
        return found

    def _check_one(self, record: OutboundRecord) -> int:
        ctx = self._ctx
        assert record.axis_doc_id is not None
        rows = ctx.axis.get_sent_edoc_list(record.axis_doc_id)
        states = {r.organ_id: r.delivery for r in ctx.journal.recipients(record.id)}
        changed = 0
        for row in rows:
            changed += self._apply(record, states, row)
        if changed:
            write_timeline(ctx, record)
        return changed

    def _apply(self, record: OutboundRecord, states: dict[str, DeliveryState],
               row: SentRow) -> int:
        event = _EVENTS.get((row.receive_status or "").lower())
        organ = row.to_code
        if event is None or organ not in states or states[organ] not in _OPEN:
            return 0
        try:
            after = self._ctx.journal.record_delivery(record.id, organ, event, self._ctx.now(),
                                                      row.receive_status_desc or "")
        except (IllegalTransitionError, JournalError) as exc:
            log.warning("cannot record a delivery report", error=exc.message, recipient=organ)
            return 0
        return int(after.delivery is not states[organ])
