"""Run an item through its steps: whatever state it is in, the journal's next step is run.

There is no separate recovery path: at start-up the journal hands out every unsettled item again
and this loop runs its next step (:func:`agent.core.lifecycle.next_step`), exactly as for a fresh
item. A step returns :data:`Flow.CONTINUE` when it moved the item on and the worker still holds it
(the next step runs at once), or :data:`Flow.PARKED` when the item waits (a retry later, a copy
waiting for its first copy) and was given back.

An unexpected exception in a step (a bug) does not kill the worker: it is logged with the item,
and the item is postponed so that it does not spin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Protocol

from agent.core.lifecycle import Kind, Step, next_step
from agent.errors import LienthongError
from agent.journal.port import Journal
from agent.observability import get_logger, log_context
from agent.services.context import ServiceContext, error_info

log = get_logger(__name__)
_BUG_DELAY = dt.timedelta(seconds=60)


class Flow(Enum):
    CONTINUE = "continue"  # the item moved on and is still held: run its next step
    PARKED = "parked"  # the item waits and was given back


class Item(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def organ_id(self) -> str: ...
    @property
    def state(self) -> Any: ...
    @property
    def due_at(self) -> dt.datetime | None: ...


StepFn = Callable[[Any], Flow]
Handlers = Mapping[tuple[Kind, Step], StepFn]


def load(journal: Journal, kind: Kind, item_id: int) -> Item | None:
    """The current record of an item of any kind."""
    readers: dict[Kind, Callable[[int], Any]] = {
        Kind.OUTBOUND: journal.outbound, Kind.INBOUND: journal.inbound,
        Kind.RECEIPT_OUT: journal.receipt_out, Kind.RECEIPT_IN: journal.receipt_in,
    }
    record: Item | None = readers[kind](item_id)
    return record


DIRECTION = {Kind.OUTBOUND: "outbound", Kind.INBOUND: "inbound",
             Kind.RECEIPT_OUT: "receipt", Kind.RECEIPT_IN: "receipt"}


def _label(item: Item) -> str:
    document_id = getattr(item, "document_id", None)
    return str(document_id or getattr(item, "axis_doc_id", None) or getattr(item, "item_name", ""))


class Engine:
    """Runs the steps of claimed items with the handlers of the services."""

    def __init__(self, ctx: ServiceContext, handlers: Handlers) -> None:
        self._ctx = ctx
        self._handlers = dict(handlers)

    def run(self, kind: Kind, item_id: int, stop: Callable[[], bool] = lambda: False) -> None:
        """Run the item's steps while it is held; stop between two steps when ``stop()``."""
        while True:
            item = load(self._ctx.journal, kind, item_id)
            step = None if item is None else next_step(item.state)
            if item is None or step is None:
                return
            if item.due_at is None or stop():  # waits for another item, or we are stopping
                self._ctx.journal.release(kind, item_id)
                return
            with log_context(direction=DIRECTION[kind], organ=item.organ_id,
                             document_id=_label(item), step=step.value):
                if self._step(kind, step, item) is Flow.PARKED:
                    return

    def _step(self, kind: Kind, step: Step, item: Item) -> Flow:
        handler = self._handlers.get((kind, step))
        if handler is None:
            raise LookupError(f"no handler for {kind.value} step {step.value}")
        try:
            return handler(item)
        except (LienthongError, OSError, ValueError, LookupError, TypeError) as exc:
            self._park_after_bug(kind, item, exc)
            return Flow.PARKED

    def _park_after_bug(self, kind: Kind, item: Item, exc: BaseException) -> None:
        log.error("step failed unexpectedly; the item is retried later", exc_info=exc)
        now = self._ctx.now()
        try:
            self._ctx.journal.postpone(kind, item.id, error_info(exc), now + _BUG_DELAY, now)
            self._ctx.wake(kind, now + _BUG_DELAY)
        except LienthongError:
            log.error("could not postpone the item; it is resumed at the next start",
                      exc_info=True)
