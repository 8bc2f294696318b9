"""From what the DMS dropped to the edXML package model (:mod:`agent.core.edxml.model`).

The metadata names the organs by code only; the caller passes the full ``Organization`` of the
sender (from the configuration) and of each recipient (from the cached directory), and the
time of sending for the ``TraceHeader``, in Vietnam local time as the wire expects.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from agent.core.edxml.builder import AttachmentSource
from agent.core.edxml.model import (
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    DocumentCode,
    DocumentType,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusHeader,
    StatusResponseFor,
    TraceHeader,
    TraceHeaderList,
)
from agent.files.metadata import OutboundRequest
from agent.files.schema import BusinessType, DocumentMetadata, StaffMeta, StatusUpdate


def message_header(
    request: OutboundRequest, sender: Organization, recipients: Sequence[Organization]
) -> MessageHeader:
    """The edoc ``MessageHeader`` for a document folder."""
    m = request.metadata
    return MessageHeader(
        sender=sender,
        recipients=tuple(recipients),
        document_id=request.document_id(sender.organ_id),
        code=DocumentCode(code_number=m.number, code_notation=m.notation),
        promulgation_info=PromulgationInfo(place=m.promulgation.place,
                                           promulgation_date=m.promulgation.date),
        document_type=DocumentType(type=m.document_type.type, type_detail=m.document_type.detail,
                                   type_name=m.document_type.name),
        subject=m.subject,
        content=m.content,
        signer_info=None if m.signer is None else SignerInfo(
            competence=m.signer.competence, position=m.signer.position,
            full_name=m.signer.full_name),
        due_date=m.due_date,
        other_info=_other_info(m),
        response_for=tuple(ResponseFor(organ_id=r.organ_id, code=r.code,
                                       document_id=r.document_id, promulgation_date=r.date)
                           for r in m.response_for),
        steering_type=m.steering_type,
        to_places=tuple(m.to_places) or None,
    )


def _other_info(m: DocumentMetadata) -> OtherInfo:
    return OtherInfo(priority=m.priority, sphere_of_promulgation=m.sphere_of_promulgation,
                     typer_notation=m.typer_notation, promulgation_amount=m.promulgation_amount,
                     page_amount=m.page_amount)


def staff_info(staff: StaffMeta | None) -> StaffInfo | None:
    if staff is None:
        return None
    return StaffInfo(department=staff.department, department_id=staff.department_id,
                     staff=staff.name, staff_id=staff.staff_id, email=staff.email,
                     mobile=staff.mobile)


def staff_fields(info: StaffInfo | None) -> dict[str, str]:
    """A received ``StaffInfo`` with the keys of the contract (status-out ``staff``, receipts)."""
    if info is None:
        return {}
    pairs = {"name": info.staff, "staff_id": info.staff_id, "department": info.department,
             "department_id": info.department_id, "email": info.email, "mobile": info.mobile}
    return {key: value for key, value in pairs.items() if value}


def trace_list(request: OutboundRequest, sender_id: str, sent_at: dt.datetime) -> TraceHeaderList:
    """The sender's ``TraceHeader`` and the ``Bussiness`` block (new, recall, update, replace).
    ``sent_at`` is Vietnam local time (naive), as the wire format has no zone."""
    m, b = request.metadata, request.metadata.business
    kind = BusinessDocType(int(b.type))
    business = Business(
        document_id=b.document_id or request.document_id(sender_id),
        business_doc_type=kind,
        business_doc_reason=b.reason or kind.vietnamese,
        paper=int(m.paper),
        staff_info=staff_info(m.staff),
        business_document_info=_update_info(m) if b.type is BusinessType.UPDATE else None,
        replacements=tuple(ReplacementInfo(document_id=r.document_id,
                                           organ_ids=tuple(r.organs or m.to))
                           for r in b.replaces) or None,
    )
    return TraceHeaderList(
        trace_headers=(TraceHeader(organ_id=sender_id, timestamp=sent_at),), business=business)


def _update_info(m: DocumentMetadata) -> BusinessDocumentInfo:
    changed = m.business.changed_receivers
    return BusinessDocumentInfo(
        document_info="1", document_receiver="1" if changed else "0",
        receivers=tuple(Receiver(organ_id=code, receiver_type="1") for code in changed) or None,
    )


def attachment_sources(
    request: OutboundRequest, new_id: Callable[[], str] = lambda: str(uuid.uuid4())
) -> list[AttachmentSource]:
    """One builder source per attachment file; each opens the file when the builder reads it."""
    return [
        AttachmentSource(content_id=new_id(), name=a.name, content_type=a.content_type,
                         open=_opener(a.path), description=a.description)
        for a in request.attachments
    ]


def _opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: path.open("rb")


def status_header(
    update: StatusUpdate, sender: Organization, original: StatusResponseFor,
    timestamp: dt.datetime,
) -> StatusHeader:
    """The status ``MessageHeader`` answering ``original`` (Vietnam local ``timestamp``)."""
    return StatusHeader(sender=sender, response_for=original, staff_info=staff_info(update.staff),
                        status_code=update.status_code, description=update.description,
                        timestamp=timestamp)
