"""Sending a document: validate -> sign -> upload (with retries) -> archive, one step at a time.

Each method is the step the journal names for the item's state (:mod:`agent.core.lifecycle`):

=================  ====================================================================
PICKED_UP          :meth:`OutboundService.validate`: metadata, codes, sender, recipients
VALIDATED          :meth:`OutboundService.sign`: build, sign, keep ``package.edxml``
SIGNED, UPLOADING,  :meth:`OutboundService.upload`: sendEdoc with the kept bytes; a retry
RETRY_WAIT         sends the SAME bytes with the SAME DocumentId
ACCEPTED           :meth:`OutboundService.archive_sent`: receipts timeline, claim to sent/
FAILING            :meth:`OutboundService.archive_failed`: error files, claim to failed/
=================  ====================================================================

Every step is safe to repeat after a crash: a package written but not recorded is written again,
an upload whose answer was lost is sent again (the receiver recognises the DocumentId), moves find
their own earlier work done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, cast

from agent.core.edxml.model import Organization
from agent.core.lifecycle import Kind, OutboundState, Step
from agent.errors import (
    AxisError,
    DiskFullError,
    ExchangeItemError,
    LienthongError,
    ProtocolError,
    SignatureError,
    StorageError,
)
from agent.files.archive import archive_claim, fail_claim, restore_claim
from agent.files.atomic import disk_errors
from agent.files.pickup import claimed_item
from agent.journal.records import OutboundRecord
from agent.observability import get_logger
from agent.services.context import ServiceContext, error_info
from agent.services.documents import ItemFacts, read_item
from agent.services.engine import Flow, Handlers
from agent.services.packaging import (
    PACKAGE,
    build_folder_package,
    kept_package,
    missing_package,
    prepare_ready_package,
)
from agent.services.retrying import (
    ItemHistory,
    decide,
    first_attempt,
    later,
    retry_policy,
)
from agent.services.streams import WatchedStream
from agent.services.summary import document_finished
from agent.services.timelines import write_timeline

log = get_logger(__name__)
_K = Kind.OUTBOUND
PLACEHOLDER_DOC_ID = "0" * 24  # broken variant only: "accepted" before any upload


class DirectoryNotReadyError(LienthongError):
    code = "directory.not-ready"


class OutboundService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._policy = retry_policy(ctx.config)

    def handlers(self) -> Handlers:
        return {(_K, Step.VALIDATE): self.validate, (_K, Step.SIGN): self.sign,
                (_K, Step.UPLOAD): self.upload, (_K, Step.ARCHIVE_SENT): self.archive_sent,
                (_K, Step.ARCHIVE_FAILED): self.archive_failed}

    # --- where things are -------------------------------------------------------------------

    def claim_dir(self, record: OutboundRecord) -> Path:
        return self._ctx.organs.folders(record.organ_id).work_outbound / record.claim_id

    def _restore(self, record: OutboundRecord) -> None:
        """An operator re-queued a failed item (``lienthong-agent retry``): its claim is still in
        failed/; bring it back into the work area (the old error becomes error.previous.json)."""
        folders = self._ctx.organs.folders(record.organ_id)
        if not self.claim_dir(record).exists() and (folders.failed / record.claim_id).is_dir():
            restore_claim(folders, record.claim_id, folders.work_outbound)
            log.info("re-queued item restored from failed/", claim=record.claim_id)

    def _item(self, record: OutboundRecord) -> ItemFacts:
        item = claimed_item(self.claim_dir(record))
        if item is None:
            raise ExchangeItemError(
                f"the claimed item {record.claim_id} is missing from the work area",
                hint="it was removed while the agent was processing it; drop it again")
        folder_organ = None if self._ctx.organs.shared else record.organ_id
        return read_item(self._ctx, item, folder_organ)

    # --- steps ------------------------------------------------------------------------------

    def validate(self, record: OutboundRecord) -> Flow:
        try:
            self._restore(record)
            facts = self._item(record)
            self._check_recipients(facts.facts.recipients)
        except DirectoryNotReadyError as exc:
            return self._postpone(record, exc, at_least=5.0)
        except StorageError as exc:
            return self._postpone(record, exc)
        except (ExchangeItemError, ProtocolError) as exc:
            return self._give_up(record, exc)
        self._ctx.journal.record_validated(record.id, facts.facts, self._ctx.now())
        return Flow.CONTINUE

    def _check_recipients(self, recipients: tuple[str, ...]) -> None:
        if not self._ctx.config.directory.require_known_recipients:
            return
        journal = self._ctx.journal
        if journal.directory_synced_at() is None:
            raise DirectoryNotReadyError(
                "the axis directory has not been synchronised yet; recipients cannot be checked",
                hint="the agent synchronises it at start-up and retries the document")
        unknown = journal.unknown_agencies(recipients)
        if unknown:
            raise ExchangeItemError(
                f"unknown recipient code(s): {', '.join(unknown)}",
                problems=tuple(f"'to': {c} is not in the axis directory" for c in unknown),
                hint="check each mã định danh against the axis directory (getAgenciesList); "
                     "correct 'to' and drop the document again")

    def sign(self, record: OutboundRecord) -> Flow:
        try:
            self._restore(record)
            path, sha256 = self._build(record)
        except StorageError as exc:
            return self._postpone(record, exc)
        except (ExchangeItemError, ProtocolError, SignatureError) as exc:
            return self._give_up(record, exc)
        self._ctx.failpoints.hit("after-sign")
        self._ctx.journal.record_package(_K, record.id, str(path), sha256, self._ctx.now())
        return Flow.CONTINUE

    def _build(self, record: OutboundRecord) -> tuple[Path, str]:
        facts = self._item(record)
        claim_dir = self.claim_dir(record)
        if facts.request is None:
            path, sha256 = prepare_ready_package(self._ctx, facts.path, claim_dir, facts.signed)
        else:
            original = self._original(record) if not facts.request.attachments else None
            recipients = [self._organization(c) for c in facts.facts.recipients]
            path, sha256 = build_folder_package(self._ctx, facts.request, facts.facts.sender_id,
                                                recipients, claim_dir, original)
        limit = self._ctx.config.limits.max_package_bytes
        with disk_errors("measure the package"):
            size = path.stat().st_size
        if size > limit:
            raise ExchangeItemError(
                f"the package is {size} bytes, more than limits.max_package_bytes ({limit})",
                hint="send fewer or smaller attachments, or raise the limit if the axis allows")
        return path, sha256

    def _organization(self, code: str) -> Organization:
        agency = self._ctx.journal.agency(code)
        return Organization(organ_id=code, organ_name=agency.name if agency else None)

    def _original(self, record: OutboundRecord) -> Path | None:
        """The kept package of the document a recall / update refers to (to attach again)."""
        current = self._ctx.journal.outbound(record.id)
        if (current is None or not current.business_type or not current.ref_document_id
                or not self._ctx.config.outbound.reattach_original_on_recall):
            return None
        for earlier in self._ctx.journal.find_outbound(record.organ_id, current.ref_document_id):
            if earlier.business_type == 0 and earlier.id != record.id:
                folders = self._ctx.organs.folders(earlier.organ_id)
                return kept_package([folders.work_outbound / earlier.claim_id / PACKAGE,
                                     folders.sent / earlier.claim_id / PACKAGE])
        return None

    def upload(self, record: OutboundRecord) -> Flow:
        ctx, path = self._ctx, self.claim_dir(record) / PACKAGE
        try:
            self._restore(record)
        except StorageError as exc:
            return self._postpone(record, exc)
        if not path.is_file():
            return self._give_up(record, missing_package(record.claim_id))
        broken = ctx.failpoints.is_broken("mark-sent-before-upload")
        ctx.journal.start_attempt(_K, record.id, ctx.now())
        if broken:  # the deliberate bug of the reliability suite's negative test
            ctx.journal.record_sent(_K, record.id, PLACEHOLDER_DOC_ID, ctx.now())
        started = time.monotonic()
        try:
            with disk_errors("read the kept package"), path.open("rb") as raw:
                stream = WatchedStream(raw, lambda: ctx.failpoints.hit("during-upload"))
                sent = ctx.axis.send_edoc(record.organ_id, cast(BinaryIO, stream))
        except (AxisError, StorageError) as exc:
            ctx.count("observe_upload", time.monotonic() - started, "retry")
            return self._attempt_failed(record, exc)
        ctx.count("observe_upload", time.monotonic() - started, "ok")
        ctx.failpoints.hit("after-upload-before-journal")
        if sent.sha256 != record.package_sha256:
            log.error("the bytes sent differ from the kept package", sent_sha256=sent.sha256,
                      kept_sha256=record.package_sha256)
        if not broken:
            ctx.journal.record_sent(_K, record.id, sent.doc_id, ctx.now())
        return Flow.CONTINUE

    def _attempt_failed(self, record: OutboundRecord, exc: LienthongError) -> Flow:
        ctx, now = self._ctx, self._ctx.now()
        if isinstance(exc, AxisError):
            ctx.count("axis_error", "sendEdoc", getattr(exc, "error_code", "") or _short(exc))
        current = ctx.journal.outbound(record.id) or record
        if current.state is not OutboundState.UPLOADING:  # broken variant: already "accepted"
            return Flow.CONTINUE
        history = ItemHistory(current.attempts, first_attempt(ctx.journal, _K, current),
                              current.last_error)
        decision = decide(self._policy, history, exc, now, ctx.random())
        info = {**error_info(exc), "message": decision.reason}
        if decision.retry and decision.not_before is not None:
            ctx.journal.record_attempt_failed(_K, record.id, info, decision.not_before, now)
            ctx.count("retry_scheduled", "sendEdoc")
            ctx.wake(_K, decision.not_before)
            log.info("upload failed, retrying later", reason=decision.reason)
            return Flow.PARKED
        ctx.journal.record_failure(_K, record.id, info, now)
        return Flow.CONTINUE

    def archive_sent(self, record: OutboundRecord) -> Flow:
        ctx = self._ctx
        folders = ctx.organs.folders(record.organ_id)
        write_timeline(ctx, record, OutboundState.ARCHIVED)
        claim_dir = self.claim_dir(record)
        self._move(lambda: archive_claim(claim_dir, folders.sent), claim_dir,
                   folders.sent / record.claim_id)
        ctx.journal.record_archived(record.id, ctx.now())
        self._finished(record, "sent")
        return Flow.CONTINUE

    def archive_failed(self, record: OutboundRecord) -> Flow:
        ctx = self._ctx
        folders = ctx.organs.folders(record.organ_id)
        error = record.last_error or {"message": "failed", "code": "error"}
        claim_dir = self.claim_dir(record)
        self._move(lambda: fail_claim(claim_dir, folders, error, record.item_name, ctx.now()),
                   claim_dir, folders.failed / record.claim_id)
        ctx.journal.record_archived(record.id, ctx.now())
        self._finished(record, "failed", error=str(error.get("message", "")))
        return Flow.CONTINUE

    # --- helpers ----------------------------------------------------------------------------

    def _move(self, move: Callable[[], object], source: Path, target: Path) -> None:
        try:
            move()
        except StorageError as exc:
            if source.exists() or target.exists():
                raise
            log.error("the claim folder is missing; nothing to archive", target=str(target),
                      error=exc.message)

    def _finished(self, record: OutboundRecord, outcome: str, error: str | None = None) -> None:
        recipients = [r.organ_id for r in self._ctx.journal.recipients(record.id)]
        document_finished(self._ctx, direction="outbound", outcome=outcome,
                          started_at=record.created_at, recipients=recipients,
                          axis_doc_id=record.axis_doc_id, sha256=record.package_sha256,
                          error=error, item=record.item_name, claim=record.claim_id)

    def _give_up(self, record: OutboundRecord, exc: LienthongError) -> Flow:
        log.debug("giving up", error=exc.message)
        self._ctx.journal.record_failure(_K, record.id, error_info(exc), self._ctx.now())
        return Flow.CONTINUE

    def _postpone(self, record: OutboundRecord, exc: LienthongError, at_least: float = 0.0
                  ) -> Flow:
        ctx, now = self._ctx, self._ctx.now()
        when = later(self._policy, record.attempts + 1, now, ctx.random(), at_least=at_least)
        ctx.journal.postpone(_K, record.id, error_info(exc), when, now)
        ctx.wake(_K, when)
        # a full disk needs the operator; a transient axis failure does not
        (log.error if isinstance(exc, DiskFullError) else log.info)(
            "step postponed", reason=exc.message, hint=exc.hint, until=when.isoformat())
        return Flow.PARKED


def _short(exc: LienthongError) -> str:
    return {"axis.rate-limited": "rate_limited", "axis.transport": "transport",
            "axis.protocol": "protocol", "axis.auth": "auth"}.get(exc.code, "other")
