"""Acknowledging a received item to the axis (updateStatus), then recording it.

``done`` is sent only by the steps that follow a durable delivery (or a recognised duplicate,
or an applied receipt); ``fail`` only after the quarantine folder is written. A transient failure
postpones the step; a refusal (the axis no longer knows the item, for example after a lost
answer to an earlier acknowledgement) is logged and taken as done: there is nothing left to
acknowledge. Receipts to send (the automatic 01, an automatic 15 / 16) are queued in the same
journal transaction as the acknowledgement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from agent.core.lifecycle import Kind
from agent.errors import AxisAuthError, AxisError, AxisRejectedError
from agent.journal.records import ReceiptRequest
from agent.observability import get_logger
from agent.services.context import ServiceContext
from agent.services.fetch import Fetcher

log = get_logger(__name__)


class Acknowledger:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._fetcher = Fetcher(ctx)

    def acknowledge(
        self, kind: Kind, record: Any, status: Literal["done", "fail"],
        receipts: Sequence[ReceiptRequest], description: str | None = None,
    ) -> bool:
        """Acknowledge and record; False when the step was postponed (try again later)."""
        ctx = self._ctx
        try:
            ctx.axis.update_status(record.axis_doc_id, status, description)
        except AxisRejectedError as exc:
            if isinstance(exc, AxisAuthError):
                self._fetcher.postpone(record, exc)
                return False
            log.warning("the axis refused the acknowledgement; taken as done",
                        error=exc.message)
        except AxisError as exc:
            ctx.count("axis_error", "updateStatus", getattr(exc, "error_code", "") or "transport")
            self._fetcher.postpone(record, exc)
            return False
        ctx.failpoints.hit("after-ack-before-journal")
        ctx.journal.record_acknowledged(kind, record.id, ctx.now(), receipts)
        if receipts:
            ctx.wake(Kind.RECEIPT_OUT, None)
        return True

    def reacknowledge(self, doc_id: str) -> None:
        """Best effort: an item we settled was listed again (its earlier acknowledgement was
        lost, or the axis repeats it): acknowledge it again, nothing else."""
        try:
            self._ctx.axis.update_status(doc_id, "done")
        except AxisError as exc:
            log.info("re-acknowledging a settled item failed; retried at the next poll",
                     axis_doc_id=doc_id, error=exc.message)
