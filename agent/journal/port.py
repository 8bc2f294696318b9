"""The Journal port: everything the daemon and the CLI ask of durable state.

:class:`~agent.journal.sqlite.SqliteJournal` implements it today; a PostgreSQL backend can
implement it later without a change to its callers. The contract every backend keeps:

* **Each method is one transaction.** When it returns, its effect is durable (fsynced); when it
  raises, nothing of it happened. ``batch()`` groups calls into one transaction (one fsync) when
  many small changes arrive together (a scan of the outbox, a poll of the axis list).
* **State changes go through** :mod:`agent.core.lifecycle`. A method that records an event on an
  item in a state where the table forbids it raises
  :class:`~agent.errors.IllegalTransitionError` and changes nothing.
* **Time is passed in** (``now``, timezone-aware); a backend never reads the clock.
* **Only** :mod:`agent.errors` **escapes**: database errors become ``JournalError``,
  ``StorageError`` or ``DiskFullError``.
* **Claims.** ``claim_*`` hand out due items (oldest due first) to one worker each; a transition
  into a waiting or settled state, ``postpone`` and ``release`` give an item back. Claims do not
  survive a restart: at open, every unsettled item is handed out again, which is how the work
  that a crash interrupted is resumed. (One exception waits on purpose: a DUPLICATE copy is
  due only once its first copy is delivered.)
* ``attempts`` counts attempts started (uploads, sends) and postponed steps; ``due_at`` is when
  the item's next step may run (``None`` once settled).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from agent.core.lifecycle import DeliveryEvent, Kind
from agent.journal.records import (
    Agency,
    DocumentFacts,
    ErrorInfo,
    InboundRecord,
    ItemSummary,
    JournalSummary,
    ListedItem,
    OutboundRecord,
    ReceiptInRecord,
    ReceiptOutRecord,
    ReceiptRequest,
    RecipientRecord,
    StatusFacts,
    TimelineEntry,
)


class Journal(Protocol):
    # --- the connection -------------------------------------------------------------------------
    def close(self) -> None: ...
    def batch(self) -> AbstractContextManager[None]: ...

    # --- outbound documents ---------------------------------------------------------------------
    def add_outbound(
        self, organ_id: str, claim_id: str, item_name: str, now: dt.datetime
    ) -> OutboundRecord: ...
    def record_validated(
        self, item_id: int, facts: DocumentFacts, now: dt.datetime
    ) -> OutboundRecord: ...
    def record_archived(self, item_id: int, now: dt.datetime) -> OutboundRecord: ...
    def record_delivery(
        self, outbound_id: int, organ_id: str, event: DeliveryEvent, now: dt.datetime,
        detail: str = "",
    ) -> RecipientRecord: ...
    def outbound(self, item_id: int) -> OutboundRecord | None: ...
    def outbound_by_claim(self, claim_id: str) -> OutboundRecord | None: ...
    def find_outbound(self, organ_id: str, document_id: str) -> list[OutboundRecord]: ...
    def recipients(self, outbound_id: int) -> list[RecipientRecord]: ...
    def claim_outbound(self, now: dt.datetime, limit: int) -> list[OutboundRecord]: ...

    # --- inbound documents ----------------------------------------------------------------------
    def record_verified(
        self, item_id: int, facts: DocumentFacts, now: dt.datetime
    ) -> InboundRecord: ...
    def record_delivered(
        self, item_id: int, inbox_path: str | None, applied_to: int | None, now: dt.datetime
    ) -> InboundRecord: ...
    def inbound(self, item_id: int) -> InboundRecord | None: ...
    def find_inbound(
        self, organ_id: str, sender_id: str, document_id: str, business_type: int = 0
    ) -> InboundRecord | None: ...
    def claim_inbound(self, now: dt.datetime, limit: int) -> list[InboundRecord]: ...

    # --- status receipts ------------------------------------------------------------------------
    def queue_receipt(self, request: ReceiptRequest, now: dt.datetime) -> ReceiptOutRecord: ...
    def receipt_out(self, item_id: int) -> ReceiptOutRecord | None: ...
    def claim_receipts_out(self, now: dt.datetime, limit: int) -> list[ReceiptOutRecord]: ...
    def apply_status(
        self, item_id: int, facts: StatusFacts, now: dt.datetime
    ) -> ReceiptInRecord: ...
    def receipt_in(self, item_id: int) -> ReceiptInRecord | None: ...
    def claim_receipts_in(self, now: dt.datetime, limit: int) -> list[ReceiptInRecord]: ...

    # --- steps shared by several kinds ----------------------------------------------------------
    def record_listed(
        self, kind: Kind, organ_id: str, axis_doc_id: str, now: dt.datetime
    ) -> ListedItem: ...
    def record_fetched(
        self, kind: Kind, item_id: int, spool_path: str, sha256: str, now: dt.datetime
    ) -> str: ...
    def record_package(
        self, kind: Kind, item_id: int, path: str, sha256: str, now: dt.datetime
    ) -> str: ...
    def start_attempt(self, kind: Kind, item_id: int, now: dt.datetime) -> str: ...
    def record_attempt_failed(
        self, kind: Kind, item_id: int, error: ErrorInfo, retry_at: dt.datetime,
        now: dt.datetime,
    ) -> str: ...
    def record_sent(self, kind: Kind, item_id: int, axis_doc_id: str, now: dt.datetime) -> str: ...
    def record_failure(
        self, kind: Kind, item_id: int, error: ErrorInfo, now: dt.datetime
    ) -> str: ...
    def record_acknowledged(
        self, kind: Kind, item_id: int, now: dt.datetime,
        receipts: Sequence[ReceiptRequest] = (),
    ) -> str: ...
    def postpone(
        self, kind: Kind, item_id: int, error: ErrorInfo | None, due_at: dt.datetime,
        now: dt.datetime,
    ) -> None: ...
    def release(self, kind: Kind, item_id: int) -> None: ...
    def requeue(self, kind: Kind, item_id: int, now: dt.datetime) -> str: ...

    # --- what the CLI shows ---------------------------------------------------------------------
    def timeline(self, kind: Kind, item_id: int) -> list[TimelineEntry]: ...
    def list_items(
        self, kind: Kind, *, states: Iterable[str] = (), organ_id: str | None = None,
        limit: int = 50, before_id: int | None = None,
    ) -> list[ItemSummary]: ...
    def summary(self) -> JournalSummary: ...
    def known_claims(self, claim_ids: Iterable[str]) -> set[str]: ...

    # --- polls and the directory ----------------------------------------------------------------
    def record_poll(
        self, name: str, now: dt.datetime, error: ErrorInfo | None = None
    ) -> None: ...
    def replace_agencies(self, agencies: Iterable[Agency], now: dt.datetime) -> int: ...
    def agency(self, code: str) -> Agency | None: ...
    def unknown_agencies(self, codes: Iterable[str]) -> list[str]: ...
    def directory_synced_at(self) -> dt.datetime | None: ...
