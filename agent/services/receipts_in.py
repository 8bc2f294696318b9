"""Status receipts this agent receives: applied to the document they answer, then acknowledged.

=============  =========================================================================
LISTED         fetch (shared with documents): getEdoc into the spool
FETCHED        :meth:`ReceiptReceiver.apply`: parse the status package; the journal matches
               it (01-06, 15, 16 to a document we sent, by DocumentId then số/ký hiệu; 13 to a
               document we received) and moves the recipient's delivery and progress
APPLIED,       :meth:`ReceiptReceiver.ack_done`: the side effects first (idempotent): the
UNMATCHED      sent document's receipts/<claim>.json rewritten, or a take-back request (13)
               written into the received document's changes/ (answered 15 / 16 by policy);
               then updateStatus done
MALFORMED      :meth:`ReceiptReceiver.ack_fail`: quarantine/ with the reason, updateStatus fail
=============  =========================================================================
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from agent.core.edxml.model import StatusPackage
from agent.core.edxml.parser import parse_status
from agent.core.lifecycle import Kind, ReceiptInState, Step
from agent.errors import ProtocolError, StorageError
from agent.files.archive import quarantine
from agent.files.atomic import disk_errors
from agent.files.inbox import record_change, release_spool
from agent.files.mapping import staff_fields
from agent.journal.records import ReceiptInRecord, ReceiptRequest, StatusFacts
from agent.observability import get_logger
from agent.services.acks import Acknowledger
from agent.services.context import ServiceContext, error_info
from agent.services.engine import Flow, Handlers
from agent.services.fetch import Fetcher
from agent.services.limits import parse_limits
from agent.services.receipt_requests import take_back_answer
from agent.services.timelines import write_timeline

log = get_logger(__name__)
_K = Kind.RECEIPT_IN


class ReceiptReceiver:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._fetcher = Fetcher(ctx)
        self._acks = Acknowledger(ctx)

    def handlers(self) -> Handlers:
        return {(_K, Step.FETCH): self._fetcher.fetch, (_K, Step.APPLY): self.apply,
                (_K, Step.ACK_DONE): self.ack_done, (_K, Step.ACK_FAIL): self.ack_fail}

    def _package(self, record: ReceiptInRecord) -> StatusPackage:
        if record.spool_path is None:
            raise StorageError("the spooled status package is not recorded")
        with disk_errors("read a spooled status package"), \
                Path(record.spool_path).open("rb") as stream:
            return parse_status(stream, limits=parse_limits(self._ctx.config))

    def facts(self, package: StatusPackage) -> StatusFacts:
        header = package.header
        when = None if header.timestamp is None else \
            header.timestamp.replace(tzinfo=self._ctx.config.axis.local_timezone)
        return StatusFacts(
            from_organ=header.sender.organ_id, to_organ=header.response_for.organ_id,
            document_id=header.response_for.document_id, doc_code=header.response_for.code,
            status_code=header.status_code, description=header.description or "",
            staff=staff_fields(header.staff_info),
            status_time=when.astimezone(dt.UTC) if when else None,
        )

    def apply(self, record: ReceiptInRecord) -> Flow:
        ctx = self._ctx
        try:
            facts = self.facts(self._package(record))
        except StorageError as exc:
            return self._fetcher.postpone(record, exc)
        except ProtocolError as exc:
            ctx.journal.record_failure(_K, record.id, error_info(exc), ctx.now())
            return Flow.CONTINUE
        ctx.journal.apply_status(record.id, facts, ctx.now())
        return Flow.CONTINUE

    def ack_done(self, record: ReceiptInRecord) -> Flow:
        answers: list[ReceiptRequest] = []
        if record.state is ReceiptInState.APPLIED:
            try:
                answers = self._side_effects(record)
            except StorageError as exc:
                return self._fetcher.postpone(record, exc)
        else:
            log.warning("a status receipt matches no document of this agent; acknowledged",
                        code=record.status_code, from_organ=record.from_organ)
        if not self._acks.acknowledge(_K, record, "done", answers):
            return Flow.PARKED
        self._release(record)
        log.info("receipt received", code=record.status_code, from_organ=record.from_organ,
                 matched=record.matched_kind.value if record.matched_kind else None)
        return Flow.CONTINUE

    def _side_effects(self, record: ReceiptInRecord) -> list[ReceiptRequest]:
        ctx = self._ctx
        if record.matched_kind is Kind.OUTBOUND and record.matched_id is not None:
            sent = ctx.journal.outbound(record.matched_id)
            if sent is not None:
                write_timeline(ctx, sent)
            return []
        if record.matched_kind is Kind.INBOUND and record.matched_id is not None:
            received = ctx.journal.inbound(record.matched_id)
            if received is None:
                return []
            self._note_take_back(record, received.inbox_path)
            return take_back_answer(ctx, received, record.id)
        return []

    def _note_take_back(self, record: ReceiptInRecord, inbox_path: str | None) -> None:
        if inbox_path is None:
            return
        header = self._package(record).header
        change = {
            "change": "take-back", "status_code": record.status_code,
            "document_id": record.document_id, "from": record.from_organ,
            "description": header.description, "staff": staff_fields(header.staff_info),
            "axis_doc_id": record.axis_doc_id,
            "answer": self._ctx.config.receipts.answer_policy.value,
            "received_at": self._ctx.now().isoformat(),
        }
        try:
            record_change(Path(inbox_path), record.axis_doc_id, change)
        except StorageError as exc:
            log.warning("cannot record the take-back request in the document's folder",
                        error=exc.message)

    def ack_fail(self, record: ReceiptInRecord) -> Flow:
        ctx = self._ctx
        error = record.last_error or {"message": "malformed status package", "code": "error"}
        spool = Path(record.spool_path) if record.spool_path else None
        try:
            quarantine(ctx.organs.folders(record.organ_id), f"status-{record.axis_doc_id}",
                       spool, error, ctx.now())
        except StorageError as exc:
            return self._fetcher.postpone(record, exc)
        if not self._acks.acknowledge(_K, record, "fail", [],
                                      description=str(error.get("message", ""))):
            return Flow.PARKED
        self._release(record)
        log.warning("a status receipt was refused", error=error.get("message"))
        return Flow.CONTINUE

    def _release(self, record: ReceiptInRecord) -> None:
        if record.spool_path:
            try:
                release_spool(Path(record.spool_path))
            except StorageError as exc:
                log.warning("cannot clean the spool", error=exc.message)
