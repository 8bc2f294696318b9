"""Status receipts this agent sends: status-out files from the DMS, and their build / send steps.

**status-out/** (docs/folder-contract.md §4): a claimed file is read and checked, matched to the
document it is about, queued in the journal (idempotent by its claim name) and moved to sent/ at
once; its delivery is then the journal's duty. Codes 02-06, 15, 16 answer a document this organ
*received* (``ResponseFor/OrganId`` = its sender); code 13 (lấy lại) asks the recipients of a
document this organ *sent* to give it back (one receipt per recipient, AXIS.md §4.1, §7).

=============  =========================================================================
QUEUED         :meth:`ReceiptSender.build`: the status package, kept (XML-signed if set)
BUILT,         :meth:`ReceiptSender.send`: sendEdoc messagetype=status, retried like
SENDING,       uploads (the same bytes)
RETRY_WAIT
=============  =========================================================================
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from agent.core.edxml.builder import build_status
from agent.core.edxml.model import StaffInfo, StatusHeader, StatusResponseFor
from agent.core.lifecycle import Kind, Step
from agent.errors import AxisError, ExchangeItemError, LienthongError, StorageError
from agent.files.archive import archive_claim, fail_claim
from agent.files.atomic import disk_errors, sha256_file
from agent.files.metadata import load_status_update
from agent.files.pickup import claimed_item
from agent.files.schema import StatusUpdate
from agent.journal.records import InboundRecord, ReceiptOutRecord, ReceiptRequest
from agent.observability import get_logger, log_context
from agent.services.context import ServiceContext, error_info
from agent.services.engine import Flow, Handlers
from agent.services.organs import FolderSet
from agent.services.packaging import published_file
from agent.services.retrying import (
    ItemHistory,
    decide,
    first_attempt,
    later,
    retry_policy,
)
from agent.signing.xmldsig import build_signed_status

log = get_logger(__name__)
_K = Kind.RECEIPT_OUT
TAKE_BACK = "13"
_BUSINESS_TYPES = (0, 2, 3, 1)  # where a DocumentId answered may be found, most likely first


def receipt_package_path(ctx: ServiceContext, record: ReceiptOutRecord) -> Path:
    return ctx.organs.folders(record.organ_id).work_status_out / f"receipt-{record.id}.edxml"


class ReceiptSender:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._policy = retry_policy(ctx.config)

    def handlers(self) -> Handlers:
        return {(_K, Step.BUILD): self.build, (_K, Step.SEND): self.send}

    # --- status-out/ ------------------------------------------------------------------------

    def take_status(self, folder_set: FolderSet, claim_dir: Path) -> None:
        """Queue the receipts of a claimed status-out file, then archive it (sent/ or failed/).
        Safe to repeat (start-up runs it again for every claim left in the work area)."""
        ctx, folders = self._ctx, folder_set.folders
        item = claimed_item(claim_dir)
        name = item.name if item is not None else claim_dir.name
        with log_context(step="status-out", organ=folder_set.organ_id or "", document_id=name):
            try:
                requests = self._requests(folder_set, claim_dir, item)
            except (ExchangeItemError, StorageError) as exc:
                log.warning("a status-out file cannot be used", error=exc.message)
                fail_claim(claim_dir, folders, exc, name, ctx.now())
                return
            for request in requests:
                ctx.journal.queue_receipt(request, ctx.now())
            archive_claim(claim_dir, folders.sent)
        ctx.wake(_K, None)

    def _requests(
        self, folder_set: FolderSet, claim_dir: Path, item: Path | None
    ) -> list[ReceiptRequest]:
        if item is None:
            raise ExchangeItemError(f"the claim {claim_dir.name} holds no file")
        update = load_status_update(item, max_bytes=self._ctx.config.limits.max_metadata_bytes)
        organ = self._ctx.organs.check_sender(folder_set.organ_id, update.sender)
        if update.status_code == TAKE_BACK:
            return self._take_back(organ, update, claim_dir.name)
        received = self._received(organ, update)
        return [ReceiptRequest(
            organ_id=organ, to_organ=received.sender_id or "", document_id=update.document_id,
            doc_code=received.code, status_code=update.status_code,
            description=update.description or "", staff=_staff(update),
            status_time=update.time, inbound_id=received.id, source_key=claim_dir.name,
        )]

    def _received(self, organ: str, update: StatusUpdate) -> InboundRecord:
        """The received document a status answers (its sender: ``to``, or the DocumentId's
        first field, the sender's code by convention)."""
        sender = update.to or update.document_id.split(",", 1)[0].strip()
        for business_type in _BUSINESS_TYPES:
            found = self._ctx.journal.find_inbound(organ, sender, update.document_id,
                                                   business_type)
            if found is not None:
                return found
        raise ExchangeItemError(
            f"{organ} has received no document {update.document_id!r} from {sender}",
            problems=(f"'document_id': {update.document_id} is not a document received by"
                      f" {organ}",),
            hint="copy document_id (and 'sender' as 'to' if needed) from the document's"
                 " document.json in the inbox")

    def _take_back(self, organ: str, update: StatusUpdate, key: str) -> list[ReceiptRequest]:
        sent = [r for r in self._ctx.journal.find_outbound(organ, update.document_id)
                if r.business_type == 0]
        if not sent:
            raise ExchangeItemError(
                f"{organ} has sent no document {update.document_id!r} to take back",
                problems=(f"'document_id': {update.document_id} is not a document sent by"
                          f" {organ}",),
                hint="use the DocumentId of the sent document (receipts/<claim>.json)")
        recipients = [update.to] if update.to else \
            [r.organ_id for r in self._ctx.journal.recipients(sent[0].id)]
        return [ReceiptRequest(
            organ_id=organ, to_organ=recipient, document_id=update.document_id,
            doc_code=sent[0].code, status_code=TAKE_BACK, description=update.description or "",
            staff=_staff(update), status_time=update.time, source_key=f"{key}#{recipient}",
        ) for recipient in recipients]

    # --- steps ------------------------------------------------------------------------------

    def build(self, record: ReceiptOutRecord) -> Flow:
        ctx = self._ctx
        path = receipt_package_path(ctx, record)
        header = self._header(record)
        setup = ctx.signing
        try:
            if setup.xml and setup.identity is not None:
                ctx.check_signing_certificate()
            with published_file(path) as out:
                if setup.xml and setup.identity is not None:
                    build_signed_status(out, header, setup.identity, now=ctx.now())
                else:
                    build_status(out, header)
        except StorageError as exc:
            return self._postpone(record, exc)
        except LienthongError as exc:  # a signing failure, an unusable value
            ctx.journal.record_failure(_K, record.id, error_info(exc), ctx.now())
            return Flow.CONTINUE
        ctx.journal.record_package(_K, record.id, str(path), sha256_file(path), ctx.now())
        return Flow.CONTINUE

    def _header(self, record: ReceiptOutRecord) -> StatusHeader:
        ctx = self._ctx
        staff = record.staff
        local = record.status_time.astimezone(ctx.config.axis.local_timezone).replace(tzinfo=None)
        return StatusHeader(
            sender=ctx.organs.organization(record.organ_id),
            response_for=StatusResponseFor(organ_id=record.to_organ, code=record.doc_code,
                                           document_id=record.document_id),
            staff_info=StaffInfo(staff=staff.get("name"), staff_id=staff.get("staff_id"),
                                 department=staff.get("department"),
                                 department_id=staff.get("department_id"),
                                 email=staff.get("email"), mobile=staff.get("mobile"))
            if staff else None,
            status_code=record.status_code, description=record.description or None,
            timestamp=local,
        )

    def send(self, record: ReceiptOutRecord) -> Flow:
        ctx = self._ctx
        path = receipt_package_path(ctx, record)
        ctx.journal.start_attempt(_K, record.id, ctx.now())
        try:
            with disk_errors("read the receipt package"):
                sent = ctx.axis.send_edoc(record.organ_id, path, messagetype="status")
        except (AxisError, StorageError) as exc:
            return self._attempt_failed(record, exc)
        ctx.failpoints.hit("after-receipt-send-before-journal")
        ctx.journal.record_sent(_K, record.id, sent.doc_id, ctx.now())
        with disk_errors("remove a sent receipt package"):
            path.unlink(missing_ok=True)
        log.info("receipt sent", code=record.status_code, to=record.to_organ,
                 axis_doc_id=sent.doc_id)
        return Flow.CONTINUE

    def _attempt_failed(self, record: ReceiptOutRecord, exc: LienthongError) -> Flow:
        ctx, now = self._ctx, self._ctx.now()
        current = ctx.journal.receipt_out(record.id) or record
        history = ItemHistory(current.attempts, first_attempt(ctx.journal, _K, current),
                              current.last_error)
        decision = decide(self._policy, history, exc, now, ctx.random())
        info = {**error_info(exc), "message": decision.reason}
        if decision.retry and decision.not_before is not None:
            ctx.journal.record_attempt_failed(_K, record.id, info, decision.not_before, now)
            ctx.count("retry_scheduled", "sendEdoc")
            ctx.wake(_K, decision.not_before)
            return Flow.PARKED
        ctx.journal.record_failure(_K, record.id, info, now)
        log.warning("a receipt could not be sent; given up", reason=decision.reason,
                    code=record.status_code, to=record.to_organ)
        return Flow.CONTINUE

    def _postpone(self, record: ReceiptOutRecord, exc: LienthongError) -> Flow:
        ctx, now = self._ctx, self._ctx.now()
        when: dt.datetime = later(self._policy, record.attempts + 1, now, ctx.random())
        ctx.journal.postpone(_K, record.id, error_info(exc), when, now)
        ctx.wake(_K, when)
        return Flow.PARKED


def _staff(update: StatusUpdate) -> dict[str, str]:
    if update.staff is None:
        return {}
    return {k: v for k, v in update.staff.model_dump().items() if isinstance(v, str) and v}
