"""``show REF``: one item of the journal as a JSON-ready view, and its text rendering.

The view is built from the journal's records and timeline: facts, recipients with delivery and
progress, receipts with their meaning, time and staff, and every event of the timeline. Two files
are read when they exist: a sent document's receipts timeline, and a received document's
``document.json`` in its inbox folder (each signature's verdict). docs/cli.md#show documents the
shape.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli._output import clip, error_text, iso, local, table
from agent.cli.status import DIRECTION, ref
from agent.core.edxml.model import BusinessDocType, StatusCode
from agent.core.lifecycle import Kind

if TYPE_CHECKING:
    from agent.files.layout import ExchangeLayout
    from agent.journal import (
        InboundRecord,
        OutboundRecord,
        ReceiptInRecord,
        ReceiptOutRecord,
        SqliteJournal,
        TimelineEntry,
    )

Record = Any  # one of the four record types; each has the common fields below


def meaning(code: str | None) -> str | None:
    """``"03"`` -> ``"Đã tiếp nhận"``; None for no code or an unknown one."""
    known = StatusCode.lookup(code) if code else None
    return known.vietnamese if known else None


def staff_text(staff: Mapping[str, Any] | None) -> str:
    """``Trần Thị B (Văn thư)`` from a receipt's staff fields."""
    if not staff:
        return ""
    name = staff.get("name") or staff.get("staff") or ""
    department = staff.get("department") or ""
    return f"{name} ({department})" if name and department else str(name or department)


def business_name(value: int | None) -> str | None:
    if value is None:
        return None
    try:
        return BusinessDocType(value).name.lower()
    except ValueError:
        return str(value)


def build_view(
    journal: SqliteJournal, kind: Kind, item_id: int, layout: ExchangeLayout | None
) -> dict[str, Any] | None:
    """The ``show --json`` document of one item, or None when the journal has no such item."""
    record = _record(journal, kind, item_id)
    if record is None:
        return None
    view = _common(kind, record)
    if kind is Kind.OUTBOUND:
        view.update(_outbound(journal, record, layout))
    elif kind is Kind.INBOUND:
        view.update(_inbound(journal, record))
    elif kind is Kind.RECEIPT_OUT:
        view.update(_receipt_out(record))
    else:
        view.update(_receipt_in(record))
    timeline = journal.timeline(kind, item_id)
    view["timeline"] = [_entry(e) for e in timeline]
    if kind is Kind.OUTBOUND:
        view["receipts"] = [_receipt(e) for e in timeline if e.event == "receipt"]
    return view


def _record(journal: SqliteJournal, kind: Kind, item_id: int) -> Record | None:
    read = {Kind.OUTBOUND: journal.outbound, Kind.INBOUND: journal.inbound,
            Kind.RECEIPT_OUT: journal.receipt_out, Kind.RECEIPT_IN: journal.receipt_in}[kind]
    return read(item_id)


def _common(kind: Kind, record: Record) -> dict[str, Any]:
    return {
        "ref": ref(kind, record.id), "kind": kind.value, "id": record.id,
        "direction": DIRECTION[kind], "organ_id": record.organ_id,
        "state": record.state.value, "attempts": record.attempts, "due_at": iso(record.due_at),
        "last_error": None if record.last_error is None else dict(record.last_error),
        "created_at": iso(record.created_at), "updated_at": iso(record.updated_at),
    }


def _document(record: OutboundRecord | InboundRecord) -> dict[str, Any]:
    return {
        "document_id": record.document_id, "code": record.code, "subject": record.subject,
        "business_type": business_name(record.business_type),
        "ref_document_id": record.ref_document_id, "axis_doc_id": record.axis_doc_id,
        "package_sha256": record.package_sha256,
    }


def _outbound(
    journal: SqliteJournal, record: OutboundRecord, layout: ExchangeLayout | None
) -> dict[str, Any]:
    recipients = [{
        "organ_id": r.organ_id, "delivery": r.delivery.value, "progress": r.progress,
        "progress_meaning": meaning(r.progress), "change": r.change.value,
        "updated_at": iso(r.updated_at),
    } for r in journal.recipients(record.id)]
    return {**_document(record), "item_name": record.item_name, "claim_id": record.claim_id,
            "recipients": recipients, "receipts_file": _receipts_file(record, layout)}


def _receipts_file(record: OutboundRecord, layout: ExchangeLayout | None) -> str | None:
    if layout is None:
        return None
    from agent.errors import StorageError
    from agent.files.receipts import receipts_path

    try:
        path = receipts_path(layout.folders(record.organ_id), record.claim_id)
    except StorageError:  # an organ no longer in the configuration
        return None
    return str(path) if path.is_file() else None  # written once the axis accepted it


def _inbound(journal: SqliteJournal, record: InboundRecord) -> dict[str, Any]:
    sent = []
    for entry in journal.timeline(Kind.INBOUND, record.id):
        receipt_id = entry.detail.get("receipt") if entry.event == "receipt-queued" else None
        answer = journal.receipt_out(int(receipt_id)) if receipt_id is not None else None
        if answer is not None:
            sent.append(_receipt_sent(answer))
    return {**_document(record), "sender_id": record.sender_id, "inbox_path": record.inbox_path,
            "duplicate_of": _ref(Kind.INBOUND, record.duplicate_of),
            "applied_to": _ref(Kind.INBOUND, record.applied_to), "receipts_sent": sent,
            "signatures": signatures(record.inbox_path)}


def signatures(inbox_path: str | None) -> list[dict[str, Any]] | None:
    """Each signature's verdict from the inbox folder's ``document.json``; None when there is
    no folder, or the document system has taken it away."""
    if not inbox_path:
        return None
    try:
        data = json.loads((Path(inbox_path) / "document.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = data.get("signatures") if isinstance(data, dict) else None
    if not isinstance(found, list):
        return None
    return [_verdict(s) for s in found if isinstance(s, dict)]


def _verdict(report: Mapping[str, Any]) -> dict[str, Any]:
    error = report.get("error")
    return {"kind": report.get("kind"), "target": report.get("target"),
            "status": report.get("status"), "signer": report.get("signer_subject"),
            "signing_time": report.get("signing_time"),
            "error": error.get("message") if isinstance(error, dict) else None}


def _receipt_sent(answer: ReceiptOutRecord) -> dict[str, Any]:
    return {"ref": ref(Kind.RECEIPT_OUT, answer.id), "code": answer.status_code,
            "meaning": meaning(answer.status_code), "state": answer.state.value,
            "status_time": iso(answer.status_time), "description": answer.description,
            "staff": dict(answer.staff)}


def _receipt_out(record: ReceiptOutRecord) -> dict[str, Any]:
    return {"to_organ": record.to_organ, "document_id": record.document_id,
            "doc_code": record.doc_code, "status_code": record.status_code,
            "meaning": meaning(record.status_code), "description": record.description,
            "staff": dict(record.staff), "status_time": iso(record.status_time),
            "answers": _ref(Kind.INBOUND, record.inbound_id), "axis_doc_id": record.axis_doc_id,
            "source_key": record.source_key}


def _receipt_in(record: ReceiptInRecord) -> dict[str, Any]:
    matched = None
    if record.matched_kind is not None and record.matched_id is not None:
        matched = ref(record.matched_kind, record.matched_id)
    return {"from_organ": record.from_organ, "document_id": record.document_id,
            "status_code": record.status_code, "meaning": meaning(record.status_code),
            "axis_doc_id": record.axis_doc_id, "matched": matched}


def _ref(kind: Kind, item_id: int | None) -> str | None:
    return None if item_id is None else ref(kind, item_id)


def _entry(entry: TimelineEntry) -> dict[str, Any]:
    return {"at": iso(entry.at), "event": entry.event, "state": entry.state,
            "organ_id": entry.organ_id, "code": entry.code, "meaning": meaning(entry.code),
            "detail": dict(entry.detail)}


def _receipt(entry: TimelineEntry) -> dict[str, Any]:
    detail = entry.detail
    return {"from_organ": entry.organ_id, "code": entry.code, "meaning": meaning(entry.code),
            "received_at": iso(entry.at), "status_time": detail.get("status_time"),
            "description": detail.get("description", ""), "staff": dict(detail.get("staff", {}))}


# --- text ------------------------------------------------------------------------------------

_FACTS = (
    ("State", "state"), ("Organ", "organ_id"), ("From", "sender_id"), ("To", "to_organ"),
    ("Số/ký hiệu", "code"), ("Số/ký hiệu", "doc_code"), ("Trích yếu", "subject"),
    ("DocumentId", "document_id"),
    ("Business", "business_type"), ("Refers to", "ref_document_id"),
    ("Axis DocId", "axis_doc_id"), ("Outbox item", "item_name"), ("Status", "status_code"),
    ("Meaning", "meaning"), ("From organ", "from_organ"), ("Staff", "staff"),
    ("Status time", "status_time"), ("Answers", "answers"), ("Matched", "matched"),
    ("Inbox folder", "inbox_path"), ("Receipts file", "receipts_file"),
    ("Duplicate of", "duplicate_of"), ("Applies to", "applied_to"), ("Attempts", "attempts"),
    ("Next step at", "due_at"), ("Created", "created_at"), ("Updated", "updated_at"),
)


def render_view(view: Mapping[str, Any]) -> str:
    """The text ``show`` prints."""
    parts = [f"{view['ref']}  ({view['direction']}, {view['kind']})", _facts(view)]
    if view.get("last_error"):
        parts.append(f"Last error: {error_text(view['last_error'])}")
    if view.get("recipients"):
        parts.append("Recipients:\n" + table(
            ["ORGAN", "DELIVERY", "PROGRESS", "CHANGE"],
            [[r["organ_id"], r["delivery"], _code(r["progress"]), r["change"]]
             for r in view["recipients"]]))
    if view.get("inbox_path") and view.get("kind") == "inbound":
        parts.append(_signatures_text(view.get("signatures")))
    if view.get("receipts_sent"):
        parts.append("Receipts sent:\n" + table(
            ["REF", "CODE", "STATE", "STATUS TIME", "STAFF"],
            [[r["ref"], _code(r["code"]), r["state"], _local(r["status_time"]),
              staff_text(r["staff"])] for r in view["receipts_sent"]]))
    parts.append("Timeline:\n" + table(
        ["TIME", "EVENT", "STATE", "ORGAN", "CODE", "DETAIL"],
        [[_local(e["at"]), e["event"], e["state"], e["organ_id"], _code(e["code"]),
          clip(_detail(e["detail"]), 60)] for e in view["timeline"]]))
    return "\n\n".join(parts)


def _signatures_text(verdicts: list[dict[str, Any]] | None) -> str:
    if verdicts is None:
        return "Signatures: unknown (no document.json in the inbox folder: taken away?)"
    if not verdicts:
        return "Signatures: none"
    return "Signatures:\n" + table(
        ["KIND", "TARGET", "STATUS", "SIGNER", "SIGNED AT"],
        [[v["kind"], clip(str(v["target"] or ""), 30), v["status"],
          clip(str(v["signer"] or ""), 50), _local(v["signing_time"])] for v in verdicts])


def _facts(view: Mapping[str, Any]) -> str:
    lines = []
    for label, key in _FACTS:
        value = view.get(key)
        if value in (None, "", {}):
            continue
        if key.endswith("_at") or key == "status_time":
            value = _local(value)
        elif key == "staff":
            value = staff_text(value)
        lines.append(f"  {label + ':':<15}{value}")
    return "\n".join(lines)


def _code(code: str | None) -> str:
    name = meaning(code)
    return f"{code} {name}" if code and name else code or ""


def _local(text: str | None) -> str:
    return "-" if not text else local(dt.datetime.fromisoformat(text))


def _detail(detail: Mapping[str, Any]) -> str:
    if "error" in detail:
        return error_text(detail["error"])
    parts = [staff_text(detail.get("staff")), str(detail.get("description") or "")]
    if detail.get("status_time"):
        parts.append(f"at {_local(detail['status_time'])}")
    shown = "; ".join(p for p in parts if p)
    return shown or ", ".join(f"{k}={v}" for k, v in detail.items())
