"""Receiving a document: fetch -> verify -> deliver -> acknowledge, one step at a time.

=============  =========================================================================
LISTED         :meth:`InboundService.fetch`: getEdoc streamed into the spool (fsynced)
FETCHED        :meth:`InboundService.verify`: parse + verify in one pass into a staged
               inbox folder; duplicates recognised (journal), hostile packages refused
VERIFIED       :meth:`InboundService.deliver`: publish the staged folder (one rename), or
               record a recall / update / replacement in the earlier document's changes/
DELIVERED,     :meth:`InboundService.ack_done`: updateStatus done, ONLY after the delivery
APPLIED,       is durable; the automatic 01 (and 15 / 16 by policy) queued with it
DUPLICATE
QUARANTINED    :meth:`InboundService.ack_fail`: quarantine/ with the reason, updateStatus fail
=============  =========================================================================

The listing itself (:meth:`InboundService.poll`) runs on the daemon's schedule.
"""

from __future__ import annotations

import os
from pathlib import Path

from agent.core.lifecycle import InboundState, Kind, Step
from agent.errors import (
    LienthongError,
    ProtocolError,
    StorageError,
    VerificationError,
)
from agent.files.archive import quarantine
from agent.files.atomic import disk_errors, fsync_dir
from agent.files.inbox import find_delivery, inbox_folder_name, record_change, release_spool
from agent.journal.records import InboundRecord
from agent.observability import get_logger
from agent.services.acks import Acknowledger
from agent.services.context import ServiceContext, error_info
from agent.services.engine import Flow, Handlers
from agent.services.fetch import Fetcher
from agent.services.receipt_requests import automatic_receipts
from agent.services.summary import document_finished
from agent.services.unpack import Staged, discard, received_meta, stage, staging_path

log = get_logger(__name__)
_K = Kind.INBOUND
_CHANGE_NAMES = {1: "recall", 2: "update", 3: "replace"}


class InboundService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._fetcher = Fetcher(ctx)
        self._acks = Acknowledger(ctx)

    def handlers(self) -> Handlers:
        return {(_K, Step.FETCH): self._fetcher.fetch, (_K, Step.VERIFY): self.verify,
                (_K, Step.DELIVER): self.deliver, (_K, Step.ACK_DONE): self.ack_done,
                (_K, Step.ACK_FAIL): self.ack_fail}

    # --- where things are -------------------------------------------------------------------

    def _name(self, record: InboundRecord) -> str:
        return inbox_folder_name(record.document_id or record.axis_doc_id, record.axis_doc_id)

    def _staging(self, record: InboundRecord, name: str) -> Path:
        return staging_path(self._ctx.organs.folders(record.organ_id).inbox, name)

    def _stage(self, record: InboundRecord, document_id: str | None) -> Staged:
        if record.spool_path is None or record.package_sha256 is None:
            raise StorageError("the spooled package is not recorded")
        name = inbox_folder_name(document_id or record.axis_doc_id, record.axis_doc_id)
        meta = received_meta(record.organ_id, record.axis_doc_id, self._ctx.now())
        return stage(self._ctx, Path(record.spool_path), record.package_sha256,
                     self._staging(record, name), meta)

    # --- steps ------------------------------------------------------------------------------

    def verify(self, record: InboundRecord) -> Flow:
        ctx = self._ctx
        try:
            staged = self._stage(record, None)
        except StorageError as exc:
            return self._fetcher.postpone(record, exc)
        except ProtocolError as exc:
            return self._refuse(record, exc)
        problem = self._policy_problem(record, staged)
        if problem is not None:
            discard(staged.folder)
            return self._refuse(record, problem)
        self._rename_stage(record, staged)
        verified = ctx.journal.record_verified(record.id, staged.facts, ctx.now())
        if verified.state is InboundState.DUPLICATE:
            discard(self._staging(verified, self._name(verified)))
            log.debug("a copy of a document already received", duplicate_of=verified.duplicate_of)
        return Flow.CONTINUE

    def _rename_stage(self, record: InboundRecord, staged: Staged) -> None:
        """The staging folder was named before the DocumentId was known: give it its name."""
        final = self._staging(record, inbox_folder_name(staged.facts.document_id,
                                                        record.axis_doc_id))
        if final != staged.folder:
            discard(final)
            with disk_errors("rename the staged folder"):
                os.rename(staged.folder, final)
            staged.folder = final

    def _policy_problem(self, record: InboundRecord, staged: Staged) -> LienthongError | None:
        ctx = self._ctx
        if not ctx.organs.serves(record.organ_id):
            return ProtocolError(
                f"the item is addressed to {record.organ_id}, an organ this agent does not serve",
                hint="add the organ to 'organs' in the configuration, or ask the axis operator "
                     "to register it under the right system")
        failures = staged.failures
        if failures and ctx.config.verification.on_failure.value == "quarantine":
            verdicts = "; ".join(f"{r.kind} signature on {r.target}: {r.status.value}"
                                 + (f" ({r.error.message})" if r.error else "")
                                 for r in failures)
            return VerificationError(
                f"signature verification failed: {verdicts}",
                hint="verification.on_failure is 'quarantine'; ask the sender for a document "
                     "signed with a certificate under a configured trust anchor")
        return None

    def deliver(self, record: InboundRecord) -> Flow:
        ctx = self._ctx
        folders = ctx.organs.folders(record.organ_id)
        earlier = self._earlier(record)
        kind = record.business_type or 0
        if kind == 1 and earlier is not None and earlier.inbox_path:
            self._record_change(record, earlier)
            ctx.journal.record_delivered(record.id, None, earlier.id, ctx.now())
            discard(self._staging(record, self._name(record)))
            return Flow.CONTINUE
        name = self._name(record)
        if find_delivery(folders, name) is None:
            try:
                self._publish(record, name)
            except StorageError as exc:
                return self._fetcher.postpone(record, exc)
            except ProtocolError as exc:  # only if the staging had to be rebuilt
                return self._refuse(record, exc)
        ctx.failpoints.hit("after-inbox-write")
        if earlier is not None and earlier.inbox_path and kind in (2, 3):
            self._record_change(record, earlier)
        applied_to = earlier.id if earlier is not None and kind else None
        ctx.journal.record_delivered(record.id, str(folders.inbox / name), applied_to, ctx.now())
        ctx.wake(_K, None)  # copies of this document waiting for its delivery are due now
        return Flow.CONTINUE

    def _publish(self, record: InboundRecord, name: str) -> None:
        inbox = self._ctx.organs.folders(record.organ_id).inbox
        staging = self._staging(record, name)
        if not (staging / "SHA256SUMS").is_file():  # a crash (or start-up cleaning) took it
            staging = self._stage(record, record.document_id).folder
        with disk_errors("publish the inbox folder"):
            os.rename(staging, inbox / name)
            fsync_dir(inbox)

    def _earlier(self, record: InboundRecord) -> InboundRecord | None:
        if not record.business_type or not record.ref_document_id or not record.sender_id:
            return None
        earlier = self._ctx.journal.find_inbound(record.organ_id, record.sender_id,
                                                 record.ref_document_id, 0)
        return earlier if earlier is not None and earlier.id != record.id else None

    def _record_change(self, record: InboundRecord, earlier: InboundRecord) -> None:
        assert earlier.inbox_path is not None
        change = {
            "change": _CHANGE_NAMES.get(record.business_type or 0, "change"),
            "business_type": record.business_type, "document_id": record.document_id,
            "refers_to": record.ref_document_id, "axis_doc_id": record.axis_doc_id,
            "code": record.code, "subject": record.subject, "from": record.sender_id,
            "delivered_as": self._name(record) if record.business_type != 1 else None,
            "answer": self._ctx.config.receipts.answer_policy.value,
            "received_at": self._ctx.now().isoformat(),
        }
        try:
            record_change(Path(earlier.inbox_path), record.axis_doc_id, change)
        except StorageError as exc:  # the DMS moved the folder away: the journal keeps it
            log.warning("cannot record the change in the earlier document's folder",
                        error=exc.message)

    def ack_done(self, record: InboundRecord) -> Flow:
        ctx = self._ctx
        ctx.failpoints.hit("after-inbox-write-before-ack")
        receipts = [] if record.state is InboundState.DUPLICATE else \
            automatic_receipts(ctx, record)
        if not self._acks.acknowledge(_K, record, "done", receipts):
            return Flow.PARKED
        self._cleanup(record)
        outcome = {InboundState.DELIVERED: "delivered", InboundState.APPLIED: "applied"}.get(
            record.state, "duplicate")
        self._finished(record, outcome)
        return Flow.CONTINUE

    def ack_fail(self, record: InboundRecord) -> Flow:
        ctx = self._ctx
        folders = ctx.organs.folders(record.organ_id)
        error = record.last_error or {"message": "refused", "code": "error"}
        spool = Path(record.spool_path) if record.spool_path else None
        try:
            quarantine(folders, record.axis_doc_id, spool, error, ctx.now())
        except StorageError as exc:
            return self._fetcher.postpone(record, exc)
        if not self._acks.acknowledge(_K, record, "fail", [],
                                      description=str(error.get("message", ""))):
            return Flow.PARKED
        self._cleanup(record)
        self._finished(record, "quarantined", error=str(error.get("message", "")))
        return Flow.CONTINUE

    # --- helpers ----------------------------------------------------------------------------

    def _refuse(self, record: InboundRecord, exc: LienthongError) -> Flow:
        self._ctx.journal.record_failure(_K, record.id, error_info(exc), self._ctx.now())
        return Flow.CONTINUE

    def _cleanup(self, record: InboundRecord) -> None:
        try:
            if record.spool_path:
                release_spool(Path(record.spool_path))
            discard(self._staging(record, self._name(record)))
        except StorageError as exc:
            log.warning("cannot clean the spool; start-up cleaning retries", error=exc.message)

    def _finished(self, record: InboundRecord, outcome: str, error: str | None = None) -> None:
        document_finished(self._ctx, direction="inbound", outcome=outcome,
                          started_at=record.created_at, recipients=[record.organ_id],
                          axis_doc_id=record.axis_doc_id, sha256=record.package_sha256,
                          error=error, sender=record.sender_id, inbox=record.inbox_path,
                          duplicate_of=record.duplicate_of, applied_to=record.applied_to)

