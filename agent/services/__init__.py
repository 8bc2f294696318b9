"""The use-cases of the agent: each orchestrates the core and the ports, one journal step at a time.

=====================  ===========================================================================
``outbound``           send a document: validate -> sign -> upload (retries) -> archive
``inbound``            receive a document: fetch -> verify -> deliver -> acknowledge
``receipts_out``       status-out files from the DMS; build and send status packages
``receipts_in``        apply received status receipts to the documents they answer; acknowledge
``polling``            list the axis (edoc and status) into the journal
``pickup``             claim complete outbox / status-out items into the work area
``directory``          synchronise the cached organ directory
``delivery_reports``   per-recipient delivery state of sent documents (getSentEdocList)
``recovery``           start-up reconciliation of the folders with the journal
``engine``             run an item's next step until it waits or settles
``failpoints``         crash points and broken variants for the test suites ONLY
=====================  ===========================================================================

:class:`AgentServices` builds them all from one :class:`~agent.services.context.ServiceContext`;
the daemon (or a test) drives them: polls and scans on a schedule, claimed items through
:meth:`AgentServices.run`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from agent.core.lifecycle import Kind
from agent.services.context import ServiceContext, SigningSetup
from agent.services.delivery_reports import DeliveryReports
from agent.services.directory import DirectorySync
from agent.services.engine import Engine, Flow
from agent.services.inbound import InboundService
from agent.services.outbound import OutboundService
from agent.services.pickup import Pickup
from agent.services.polling import Poller, PollResult
from agent.services.receipts_in import ReceiptReceiver
from agent.services.receipts_out import ReceiptSender
from agent.services.recovery import Recovery, RecoveryReport


class AgentServices:
    """Every service of one agent, sharing one context."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.outbound = OutboundService(ctx)
        self.inbound = InboundService(ctx)
        self.receipt_sender = ReceiptSender(ctx)
        self.receipt_receiver = ReceiptReceiver(ctx)
        self.poller = Poller(ctx)
        self.pickup = Pickup(ctx, self.receipt_sender.take_status)
        self.directory = DirectorySync(ctx)
        self.delivery_reports = DeliveryReports(ctx)
        self.recovery = Recovery(ctx, self.pickup, self.receipt_sender)
        self.engine = Engine(ctx, {
            **self.outbound.handlers(), **self.inbound.handlers(),
            **self.receipt_sender.handlers(), **self.receipt_receiver.handlers(),
        })

    def run(self, kind: Kind, item_id: int, stop: Callable[[], bool] = lambda: False) -> None:
        """Run a claimed item's steps until it waits or settles."""
        self.engine.run(kind, item_id, stop)

    def claim(self, kind: Kind, limit: int) -> Sequence[Any]:
        """Claim up to ``limit`` due items of ``kind`` (oldest due first)."""
        claimers: dict[Kind, Callable[[dt.datetime, int], Sequence[Any]]] = {
            Kind.OUTBOUND: self.ctx.journal.claim_outbound,
            Kind.INBOUND: self.ctx.journal.claim_inbound,
            Kind.RECEIPT_OUT: self.ctx.journal.claim_receipts_out,
            Kind.RECEIPT_IN: self.ctx.journal.claim_receipts_in,
        }
        return claimers[kind](self.ctx.now(), limit)

    def drain(self, kinds: tuple[Kind, ...] = tuple(Kind), limit: int = 10_000) -> int:
        """Claim and run every due item of ``kinds``, in this thread, until none is left
        (tests and one-shot runs; the daemon uses worker threads). Returns items run."""
        done = 0
        while done < limit:
            ran = 0
            for kind in kinds:
                for item in self.claim(kind, 64):
                    self.run(kind, item.id)
                    ran += 1
            if not ran:
                return done
            done += ran
        return done


__all__ = [
    "AgentServices",
    "DirectorySync",
    "Engine",
    "Flow",
    "PollResult",
    "Poller",
    "RecoveryReport",
    "ServiceContext",
    "SigningSetup",
]
