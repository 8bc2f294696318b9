"""The receipts the agent sends by itself (no status-out file from the DMS).

* **01 (Đã đến)** once a received document is durably in the inbox (``receipts.auto_received``),
  for a new document, an update or a replacement (a recall has no folder of its own);
* **15 (Đồng ý) or 16 (Từ chối)** answering a recall, an update, a replacement or a take-back
  request (13), when ``receipts.answer_policy`` is ``accept`` or ``refuse``; with ``manual`` the
  DMS answers through status-out/ after a human decision.

Each carries an idempotency key (``source_key``): queued twice (a repeated step after a crash), it
is sent once.
"""

from __future__ import annotations

from agent.config.schema import AnswerPolicy
from agent.journal.records import InboundRecord, ReceiptRequest
from agent.services.context import ServiceContext

RECEIVED, AGREED, REFUSED = "01", "15", "16"


def staff(ctx: ServiceContext) -> dict[str, str]:
    """``receipts.staff`` with the keys of the contract (status-out ``staff``)."""
    section = ctx.config.receipts.staff
    pairs = {"name": section.staff, "department": section.department,
             "email": section.email, "mobile": section.mobile}
    return {key: value for key, value in pairs.items() if value}


def answer(ctx: ServiceContext) -> tuple[str, str] | None:
    """The automatic answer to a change request: (code, description), or None (manual)."""
    receipts = ctx.config.receipts
    if receipts.answer_policy is AnswerPolicy.ACCEPT:
        return AGREED, receipts.accept_description
    if receipts.answer_policy is AnswerPolicy.REFUSE:
        return REFUSED, receipts.refuse_description
    return None


def automatic_receipts(ctx: ServiceContext, record: InboundRecord) -> list[ReceiptRequest]:
    """What to queue when a received document is acknowledged."""
    if record.document_id is None or record.sender_id is None:
        return []
    kind = record.business_type or 0
    out = []
    if ctx.config.receipts.auto_received and kind != 1:
        out.append(_request(ctx, record, RECEIVED, "Đã đến", f"auto-01:{record.id}"))
    reply = answer(ctx) if kind else None
    if reply is not None:
        out.append(_request(ctx, record, reply[0], reply[1], f"auto-answer:{record.id}"))
    return out


def _request(
    ctx: ServiceContext, record: InboundRecord, code: str, description: str, key: str
) -> ReceiptRequest:
    assert record.document_id is not None and record.sender_id is not None
    return ReceiptRequest(
        organ_id=record.organ_id, to_organ=record.sender_id, document_id=record.document_id,
        doc_code=record.code, status_code=code, description=description, staff=staff(ctx),
        inbound_id=record.id, source_key=key,
    )


def take_back_answer(
    ctx: ServiceContext, inbound: InboundRecord, receipt_id: int
) -> list[ReceiptRequest]:
    """The automatic 15 / 16 answering a take-back request (13) about ``inbound``."""
    reply = answer(ctx)
    if reply is None or inbound.document_id is None or inbound.sender_id is None:
        return []
    return [_request(ctx, inbound, reply[0], reply[1], f"answer-13:{receipt_id}")]
