"""The fetch step of received items (documents and status receipts): getEdoc into the spool.

The answer's base64 is decoded as it streams (:meth:`agent.axis.api.AxisClient.get_edoc`) into
a temporary file next to ``.lienthong/inbound/<docId>.edxml``, fsynced and renamed: the spool
holds the whole package or nothing. A package over ``limits.max_package_bytes`` is refused (and
acknowledged as failed); a transient failure is retried later, without a cap (the axis keeps the
item until it is acknowledged).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from agent.core.lifecycle import Kind
from agent.errors import (
    AxisAuthError,
    AxisError,
    AxisRejectedError,
    DiskFullError,
    LienthongError,
    LimitExceededError,
    StorageError,
)
from agent.files.atomic import disk_errors, fsync_dir, temp_sibling
from agent.files.inbox import spool_path
from agent.journal.records import InboundRecord, ReceiptInRecord
from agent.observability import get_logger
from agent.services.context import ServiceContext, error_info
from agent.services.engine import Flow
from agent.services.retrying import later, retry_policy
from agent.services.streams import CappedSink

log = get_logger(__name__)
Received = InboundRecord | ReceiptInRecord


def kind_of(record: Received) -> Kind:
    return Kind.INBOUND if isinstance(record, InboundRecord) else Kind.RECEIPT_IN


class Fetcher:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._policy = retry_policy(ctx.config)

    def fetch(self, record: Received) -> Flow:
        ctx, kind = self._ctx, kind_of(record)
        path = spool_path(ctx.organs.folders(record.organ_id), record.axis_doc_id)
        try:
            sha256 = self._download(record.axis_doc_id, path)
        except (LimitExceededError, AxisRejectedError) as exc:
            if isinstance(exc, AxisAuthError):
                return self.postpone(record, exc)
            ctx.journal.record_failure(kind, record.id, error_info(exc), ctx.now())
            return Flow.CONTINUE
        except (AxisError, StorageError) as exc:
            return self.postpone(record, exc)
        ctx.journal.record_fetched(kind, record.id, str(path), sha256, ctx.now())
        return Flow.CONTINUE

    def _download(self, doc_id: str, path: Path) -> str:
        tmp = temp_sibling(path)
        limit = self._ctx.config.limits.max_package_bytes
        try:
            with disk_errors("spool a fetched package"), tmp.open("xb") as out:
                fetched = self._ctx.axis.get_edoc(doc_id, CappedSink(out, limit))
                out.flush()
                os.fsync(out.fileno())
            with disk_errors("spool a fetched package"):
                os.replace(tmp, path)
                fsync_dir(path.parent)
        finally:
            if tmp.exists():
                tmp.unlink()
        return fetched.sha256

    def postpone(self, record: Any, exc: LienthongError) -> Flow:
        """Try the same step again later (backoff, no cap): a transient failure."""
        ctx, now = self._ctx, self._ctx.now()
        kind = kind_of(record)
        when: dt.datetime = later(self._policy, record.attempts + 1, now, ctx.random())
        if isinstance(exc, AxisError):
            ctx.count("axis_error", "getEdoc", getattr(exc, "error_code", "") or "transport")
        ctx.journal.postpone(kind, record.id, error_info(exc), when, now)
        ctx.wake(kind, when)
        # a full disk needs the operator; a transient axis failure does not
        (log.error if isinstance(exc, DiskFullError) else log.info)(
            "step postponed", reason=exc.message, hint=exc.hint, until=when.isoformat())
        return Flow.PARKED
