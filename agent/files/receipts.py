"""``receipts/<claim>.json``: the status timeline of one sent document, for the DMS.

Rewritten whole and atomically after every change (the DMS reads the old version or the new
one). The content is built by :func:`receipts_timeline` from what the journal returns; the
arguments are described by protocols, so this module needs no import of the journal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from agent.core.edxml.model import StatusCode
from agent.files.atomic import write_json_atomic
from agent.files.layout import OrganFolders

FORMAT = 1


class SentDocument(Protocol):
    @property
    def claim_id(self) -> str: ...
    @property
    def item_name(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def document_id(self) -> str | None: ...
    @property
    def code(self) -> str | None: ...
    @property
    def axis_doc_id(self) -> str | None: ...


class RecipientView(Protocol):
    @property
    def organ_id(self) -> str: ...
    @property
    def delivery(self) -> str: ...
    @property
    def progress(self) -> str | None: ...
    @property
    def change(self) -> str: ...


class EventView(Protocol):
    @property
    def at(self) -> dt.datetime: ...
    @property
    def event(self) -> str: ...
    @property
    def organ_id(self) -> str | None: ...
    @property
    def code(self) -> str | None: ...
    @property
    def detail(self) -> Mapping[str, Any]: ...


def _meaning(code: str) -> str:
    known = StatusCode.lookup(code)
    return known.vietnamese if known else ""


def _receipt(event: EventView) -> dict[str, Any]:
    code = event.code or ""
    return {"code": code, "meaning": _meaning(code), "received_at": event.at.isoformat(),
            "status_time": event.detail.get("status_time"),
            "description": event.detail.get("description", ""),
            "staff": dict(event.detail.get("staff", {}))}


def receipts_timeline(
    document: SentDocument, recipients: Iterable[RecipientView], events: Iterable[EventView],
    now: dt.datetime,
) -> dict[str, Any]:
    """The JSON document of docs/folder-contract.md §6."""
    history = list(events)
    accepted = next((e.at.isoformat() for e in history if e.event == "axis-accepted"), None)
    people = []
    for recipient in recipients:
        mine = [e for e in history if e.organ_id == recipient.organ_id]
        people.append({
            "organ_id": recipient.organ_id,
            "delivery": str(recipient.delivery),
            "progress": recipient.progress,
            "progress_meaning": _meaning(recipient.progress or ""),
            "change": str(recipient.change),
            "receipts": [_receipt(e) for e in mine if e.event == "receipt"],
        })
    return {
        "format": FORMAT, "item": document.item_name, "claim": document.claim_id,
        "document_id": document.document_id, "code": document.code,
        "axis_doc_id": document.axis_doc_id, "state": str(document.state),
        "accepted_at": accepted, "recipients": people, "updated_at": now.isoformat(),
    }


def receipts_path(folders: OrganFolders, claim_id: str) -> Path:
    return folders.receipts / f"{claim_id}.json"


def write_receipts_timeline(
    folders: OrganFolders, claim_id: str, timeline: Mapping[str, Any]
) -> Path:
    """Rewrite ``receipts/<claim>.json`` atomically."""
    path = receipts_path(folders, claim_id)
    write_json_atomic(path, timeline)
    return path
