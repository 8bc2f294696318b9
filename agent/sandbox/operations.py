"""The axis operations of AXIS.md §5.4, on verified calls, as plain functions of the sandbox state.

Each handler takes a :class:`Call` (who, which signed parameters, which body) and returns a
:class:`Reply`; refusals are :class:`~agent.sandbox.codes.Refusal`. The HTTP layer
(:mod:`agent.sandbox.app`) turns both into bytes and applies the faults.
"""

from __future__ import annotations

import random
import sqlite3

from agent.sandbox.calls import Call, Handler, Reply
from agent.sandbox.codes import Failure, Refusal, envelope_ok
from agent.sandbox.directory_ops import DIRECTORY_OPERATIONS
from agent.sandbox.ingest import SendRequest
from agent.sandbox.service import Sandbox

ITEM_STATUSES = ("done", "fail", "processing")
STATUS_DESC = {
    "initial": "Chua nhan", "processing": "Dang xu ly", "done": "Da nhan", "fail": "Nhan loi",
}


def send_edoc(sandbox: Sandbox, call: Call) -> Reply:
    assert call.spooled is not None  # the HTTP layer spools sendEdoc bodies
    doc_id = sandbox.ingest.accept(SendRequest(call.caller, call.params, call.spooled))
    return Reply(envelope_ok(DocId=doc_id))


def _message_type(call: Call, default: str = "edoc") -> str:
    value = (call.params.get("messagetype") or default).lower()
    if value not in ("edoc", "status"):
        raise Refusal(Failure.BAD_PARAMETER, f"messagetype {value!r} (edoc hoac status)")
    return value


def get_received_edoc_list(sandbox: Sandbox, call: Call) -> Reply:
    message_type = _message_type(call)
    rows = [_received_row(r) for r in sandbox.mailbox.pending(call.caller, message_type)]
    if call.decision.duplicate:
        rows = _with_duplicate(sandbox, call, message_type, rows)
    if call.decision.shuffle is not None:
        call.decision.shuffle.shuffle(rows)
    return Reply(envelope_ok(data=rows))


def _with_duplicate(
    sandbox: Sandbox, call: Call, message_type: str, rows: list[dict[str, object]]
) -> list[dict[str, object]]:
    """Add an item the caller already acknowledged, as new; or repeat a row."""
    done = sandbox.mailbox.recently_done(call.caller, message_type, limit=20)
    if done:
        pick = random.Random(len(rows)).choice(done)  # noqa: S311 - reproducible, not secret
        again = _received_row(pick) | {
            "status": "initial", "status_desc": STATUS_DESC["initial"],
        }
        sandbox.mailbox.note("duplicated", doc_id=str(again["docId"]), system_id=call.caller)
        return [*rows, again]
    if rows:
        sandbox.mailbox.note("duplicated", doc_id=str(rows[0]["docId"]), system_id=call.caller)
        return [*rows, dict(rows[0])]
    return rows


def _received_row(row: sqlite3.Row) -> dict[str, object]:
    return {
        "docId": row["doc_id"], "serviceType": row["service_type"],
        "messageType": row["message_type"], "created_time": row["created"],
        "updated_time": row["updated"], "from": row["from_code"], "to": row["to_code"],
        "status": row["status"], "status_desc": STATUS_DESC.get(row["status"], row["status"]),
    }


def _item(sandbox: Sandbox, call: Call) -> sqlite3.Row:
    doc_id = call.require("docId")
    item = sandbox.mailbox.item_for(call.caller, doc_id)
    if item is None:
        raise Refusal(Failure.NOT_FOUND, f"docId {doc_id}")
    return item


def get_edoc(sandbox: Sandbox, call: Call) -> Reply:
    item = _item(sandbox, call)
    path = sandbox.config.data_dir / item["path"]
    return Reply(envelope_ok(), file=path, offset=item["offset"], length=item["length"],
                 known_sha256=item["delivered_sha256"],
                 on_sent=lambda sha: sandbox.mailbox.delivered(item, call.caller, sha))


def download_edoc(sandbox: Sandbox, call: Call) -> Reply:
    reply = get_edoc(sandbox, call)
    reply.raw = True
    return reply


def update_status(sandbox: Sandbox, call: Call) -> Reply:
    status = call.require("status").lower()
    if status not in ITEM_STATUSES:
        raise Refusal(Failure.BAD_PARAMETER, f"status {status!r} (done, fail, processing)")
    item = _item(sandbox, call)
    sandbox.mailbox.set_status(item, call.caller, status, call.params.get("description") or "")
    return Reply(envelope_ok())


def get_sent_edoc_list(sandbox: Sandbox, call: Call) -> Reply:
    doc_id = call.require("docId")
    rows = sandbox.mailbox.sent(call.caller, doc_id)
    if not rows:
        raise Refusal(Failure.NOT_FOUND, f"DocId {doc_id}")
    return Reply(envelope_ok(data=[_sent_row(r) for r in rows]))


def _sent_row(row: sqlite3.Row) -> dict[str, object]:
    return {
        "serviceType": row["service_type"], "messageType": row["message_type"],
        "senderDocId": row["package_id"], "receiverDocId": row["doc_id"],
        "fromCode": row["from_code"], "toCode": row["to_code"], "title": row["title"],
        "notation": row["notation"], "sentTime": row["sent"], "receivedTime": row["received"],
        "sendStatus": "done", "sendStatusDesc": "Da gui",
        "receiveStatus": row["status"],
        "receiveStatusDesc": STATUS_DESC.get(row["status"], row["status"]),
    }


def count_receive_edoc(sandbox: Sandbox, call: Call) -> Reply:
    return Reply(envelope_ok(count=sandbox.mailbox.count_pending(call.caller, "edoc")))


def count_receive_status(sandbox: Sandbox, call: Call) -> Reply:
    return Reply(envelope_ok(count=sandbox.mailbox.count_pending(call.caller, "status")))


OPERATIONS: dict[str, Handler] = {
    "sendEdoc": send_edoc,
    "getReceivedEdocList": get_received_edoc_list,
    "getEdoc": get_edoc,
    "downloadEdoc": download_edoc,
    "updateStatus": update_status,
    "getSentEdocList": get_sent_edoc_list,
    "countReceiveEdoc": count_receive_edoc,
    "countReceiveStatus": count_receive_status,
    **DIRECTORY_OPERATIONS,
}
#: Operation names by lower-case path segment (paths are matched case-insensitively).
BY_PATH: dict[str, str] = {name.lower(): name for name in OPERATIONS}
