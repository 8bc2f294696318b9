"""The values the journal stores and returns: plain frozen dataclasses, no database types.

Times are timezone-aware :class:`datetime.datetime` (UTC when read back). Errors are stored as
:meth:`agent.errors.LienthongError.to_dict` mappings so error files and ``--json`` output can
reproduce them exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.core.lifecycle import (
    ChangeState,
    DeliveryState,
    InboundState,
    Kind,
    OutboundState,
    ReceiptInState,
    ReceiptOutState,
)

ErrorInfo = Mapping[str, str]  # LienthongError.to_dict(): error, code, message[, hint]


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentFacts:
    """What validation (outbound) or verification (inbound) established about a document."""

    document_id: str
    sender_id: str
    recipients: tuple[str, ...] = ()
    business_type: int = 0  # BussinessDocType: 0 new, 1 recall, 2 update, 3 replace
    ref_document_id: str | None = None  # the document a recall / update / replace refers to
    code: str | None = None  # "số/ký hiệu", e.g. 412/STTTT-VP
    subject: str | None = None  # trích yếu


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundRecord:
    id: int
    organ_id: str  # the sending organ (whose outbox the item came from)
    claim_id: str  # the item's folder in the work area, later in sent/ or failed/
    item_name: str  # the name the document system gave the item in outbox/
    state: OutboundState
    document_id: str | None
    business_type: int | None
    ref_document_id: str | None
    code: str | None
    subject: str | None
    package_path: str | None  # the signed bytes, kept for every retry
    package_sha256: str | None
    axis_doc_id: str | None  # DocId returned by sendEdoc
    attempts: int
    due_at: dt.datetime | None  # when the next step may run; None when settled
    last_error: ErrorInfo | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientRecord:
    outbound_id: int
    organ_id: str
    delivery: DeliveryState
    progress: str | None  # highest business status code received (01-06)
    change: ChangeState  # recall / update / take-back and its answer
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundRecord:
    id: int
    organ_id: str  # our organ the document is addressed to
    axis_doc_id: str
    state: InboundState
    document_id: str | None
    sender_id: str | None
    business_type: int | None
    ref_document_id: str | None
    code: str | None
    subject: str | None
    spool_path: str | None  # the package bytes as fetched, kept until settled
    package_sha256: str | None
    inbox_path: str | None
    duplicate_of: int | None  # the inbound item that was delivered instead
    applied_to: int | None  # the earlier inbound item a recall / update / replace changes
    attempts: int
    due_at: dt.datetime | None
    last_error: ErrorInfo | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptRequest:
    """A status receipt to send: the automatic 01 or a status-out item from the DMS."""

    organ_id: str  # our organ, the receipt's From
    to_organ: str  # ResponseFor/OrganId: the original sender
    document_id: str  # ResponseFor/DocumentId
    doc_code: str | None  # ResponseFor/Code, "số/ký hiệu"
    status_code: str
    description: str = ""
    staff: Mapping[str, str] = field(default_factory=dict)
    status_time: dt.datetime | None = None  # when the văn thư acted; default: queue time
    inbound_id: int | None = None  # the received document this answers, when known
    source_key: str | None = None  # idempotency key: the same key is queued once


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptOutRecord:
    id: int
    organ_id: str
    to_organ: str
    document_id: str
    doc_code: str | None
    status_code: str
    description: str
    staff: Mapping[str, str]
    status_time: dt.datetime
    inbound_id: int | None
    source_key: str | None
    state: ReceiptOutState
    package_path: str | None
    package_sha256: str | None
    axis_doc_id: str | None
    attempts: int
    due_at: dt.datetime | None
    last_error: ErrorInfo | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusFacts:
    """What a received status package says (AXIS.md §4.1)."""

    from_organ: str  # who sent the receipt
    to_organ: str  # ResponseFor/OrganId: whom it is for
    document_id: str  # ResponseFor/DocumentId
    doc_code: str | None  # ResponseFor/Code, the fallback match
    status_code: str
    description: str = ""
    staff: Mapping[str, str] = field(default_factory=dict)
    status_time: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptInRecord:
    id: int
    organ_id: str
    axis_doc_id: str
    state: ReceiptInState
    spool_path: str | None
    package_sha256: str | None
    from_organ: str | None
    document_id: str | None
    status_code: str | None
    matched_kind: Kind | None  # OUTBOUND for 01-06/15/16, INBOUND for 13
    matched_id: int | None
    attempts: int
    due_at: dt.datetime | None
    last_error: ErrorInfo | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedItem:
    """The answer to ``record_listed``: the item, and whether this listing created it."""

    kind: Kind
    id: int
    state: InboundState | ReceiptInState
    created: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineEntry:
    """One line of an item's history: a transition, a delivery report or a receipt."""

    kind: Kind
    item_id: int
    at: dt.datetime
    event: str
    state: str | None  # the state after the event, for transitions and delivery reports
    organ_id: str | None  # the recipient, for delivery reports and receipts
    code: str | None  # the status code, for receipts
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemSummary:
    """One row of ``lienthong-agent list``."""

    kind: Kind
    id: int
    organ_id: str
    state: str
    label: str  # item name (outbound), axis docId (inbound, receipt-in), code (receipt-out)
    document_id: str | None
    attempts: int
    due_at: dt.datetime | None
    last_error: ErrorInfo | None
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Agency:
    """One row of the axis directory (getAgenciesList)."""

    code: str
    name: str
    id: str | None = None
    mail: str | None = None
    parent: str | None = None  # pid / pcode
    old_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PollRecord:
    name: str  # e.g. "edoc:000.00.13.H53", "status:...", "directory"
    last_success: dt.datetime | None
    last_failure: dt.datetime | None
    last_error: ErrorInfo | None


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalSummary:
    """What ``lienthong-agent status`` shows."""

    counts: Mapping[Kind, Mapping[str, int]]  # items per state
    oldest_pending: Mapping[Kind, dt.datetime | None]  # creation time of the oldest unsettled
    retrying: Mapping[Kind, int]  # unsettled items whose last attempt failed
    polls: tuple[PollRecord, ...]
    directory_size: int
    directory_synced_at: dt.datetime | None
