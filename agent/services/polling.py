"""Polling the axis lists (getReceivedEdocList, edoc and status) into the journal.

Each listed item is recorded (LISTED) under the organ it is addressed to, the first of its ``to``
this agent serves: an LGSP-style agent receives for all its organs, one item per organ. Listing
is idempotent (the journal keys items by the axis docId); an item listed again after the agent
settled it with ``done`` (its acknowledgement was lost, or the axis repeats it) is acknowledged
again, nothing more. Items are recorded in batches of ``axis.batch_size`` per transaction so the
fetch workers start on the first batch at once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agent.axis.models import ReceivedItem
from agent.core.lifecycle import InboundState, Kind, ReceiptInState
from agent.errors import AxisError, JournalError
from agent.observability import get_logger, log_context
from agent.services.acks import Acknowledger
from agent.services.context import ServiceContext, error_info

log = get_logger(__name__)
MessageType = Literal["edoc", "status"]
_KIND: dict[str, Kind] = {"edoc": Kind.INBOUND, "status": Kind.RECEIPT_IN}
_DONE = frozenset({InboundState.ACKED, InboundState.DUPLICATE_ACKED, ReceiptInState.ACKED})


@dataclass(frozen=True, slots=True)
class PollResult:
    listed: int  # items on the axis list
    new: int  # items seen for the first time
    ok: bool = True


class Poller:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._acks = Acknowledger(ctx)

    def organ_of(self, item: ReceivedItem) -> str:
        """The served organ an item is for; else its first ``to`` (refused later as misrouted)."""
        organs = self._ctx.organs
        served = [code for code in item.to if organs.serves(code)]
        if served:
            return served[0]
        return item.to[0] if item.to else organs.first

    def poll(self, messagetype: MessageType) -> PollResult:
        ctx, kind = self._ctx, _KIND[messagetype]
        started = time.monotonic()
        with log_context(step="poll", direction=kind.value):
            try:
                items = ctx.axis.get_received_edoc_list(messagetype)
            except AxisError as exc:
                return self._failed(messagetype, exc, started)
            new, again = self._record(kind, items)
            ctx.journal.record_poll(messagetype, ctx.now())
            ctx.count("observe_poll", messagetype, time.monotonic() - started)
            if new:
                ctx.wake(kind, None)
                log.debug("new items listed", new=new, listed=len(items))
            for doc_id in again:
                self._acks.reacknowledge(doc_id)
        return PollResult(len(items), new)

    def _record(self, kind: Kind, items: Sequence[ReceivedItem]) -> tuple[int, list[str]]:
        ctx, size = self._ctx, ctx_batch(self._ctx)
        new, again = 0, []
        for start in range(0, len(items), size):
            with ctx.journal.batch():
                for item in items[start:start + size]:
                    listed = ctx.journal.record_listed(kind, self.organ_of(item), item.doc_id,
                                                       ctx.now())
                    new += listed.created
                    if not listed.created and listed.state in _DONE:
                        again.append(item.doc_id)
            if new:
                ctx.wake(kind, None)
        return new, again

    def _failed(self, messagetype: str, exc: AxisError, started: float) -> PollResult:
        ctx = self._ctx
        ctx.count("observe_poll", messagetype, time.monotonic() - started, ok=False)
        ctx.count("axis_error", "getReceivedEdocList",
                  getattr(exc, "error_code", "") or "transport")
        try:
            ctx.journal.record_poll(messagetype, ctx.now(), error_info(exc))
        except JournalError:
            pass
        log.warning("polling the axis failed; trying again at the next interval",
                    error=exc.message)
        return PollResult(0, 0, ok=False)


def ctx_batch(ctx: ServiceContext) -> int:
    return max(1, ctx.config.axis.batch_size)
