"""Typed results of the axis operations, read defensively from the JSON the axis sends.

Every reader raises :class:`~agent.errors.AxisProtocolError` when the answer lies: a member of the
wrong type, a missing id, a DocId that is not 24 hex characters. Time fields are kept as the
strings the axis sends (their format is unknown, AXIS.md §14); numbers are accepted where a string
is expected (Java serialisers differ) and turned into text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from agent.errors import AxisProtocolError

MessageType = Literal["edoc", "status"]
AckStatus = Literal["done", "fail", "processing"]

DOC_ID_PATTERN = re.compile(r"^[0-9a-fA-F]{24}$")
LENIENT_DOC_ID_PATTERN = re.compile(r"^[!-~]{1,128}$")  # printable ASCII, no space: header-safe


@dataclass(frozen=True, slots=True)
class SentEdoc:
    """sendEdoc accepted the package: the axis's DocId and what was sent."""

    doc_id: str
    size: int
    sha256: str  # hex of the package bytes (without the trailing CRLF)
    hash_file: str  # the ``hash-file`` value sent ("" when not sent)


@dataclass(frozen=True, slots=True)
class FetchedEdoc:
    """A package fetched into a sink: how many bytes and their SHA-256."""

    doc_id: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ReceivedItem:
    """One row of getReceivedEdocList: an item waiting for this system."""

    doc_id: str
    service_type: str | None
    message_type: str | None
    created_time: str | None
    updated_time: str | None
    from_code: str | None
    to: tuple[str, ...]
    status: str | None
    status_desc: str | None


@dataclass(frozen=True, slots=True)
class SentRow:
    """One row of getSentEdocList: the delivery of a sent document to one recipient."""

    service_type: str | None
    message_type: str | None
    sender_doc_id: str | None
    receiver_doc_id: str | None
    from_code: str | None
    to_code: str | None
    title: str | None
    notation: str | None
    sent_time: str | None
    received_time: str | None
    send_status: str | None
    send_status_desc: str | None
    receive_status: str | None
    receive_status_desc: str | None


@dataclass(frozen=True, slots=True)
class Agency:
    """A row of getAgenciesList."""

    id: str | None
    code: str
    name: str | None
    mail: str | None
    pid: str | None
    old_code: str | None


@dataclass(frozen=True, slots=True)
class AgencyQD20:
    """A row of getAgenciesListQD20: the QĐ 20/2020 code and the QCVN 102 one."""

    id: str | None
    code: str
    name: str | None
    mail: str | None
    code102: str | None


@dataclass(frozen=True, slots=True)
class SyncUnit:
    """A row of getSynchronizeUnit."""

    id: str | None
    code: str
    name: str | None
    mail: str | None
    pid: str | None
    version: int | None
    center_code: str | None
    deleted: bool | None
    modify_date: str | None
    is_agency: bool | None


@dataclass(frozen=True, slots=True)
class AgencyRegistration:
    """The body of registerAgency; ``pcode`` is a parent code or a 24-hex parent id."""

    pcode: str
    code: str
    name: str
    mail: str = ""
    mobile: str = ""
    fax: str = ""
    id: str = ""

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "pcode": self.pcode, "code": self.code, "name": self.name,
                "mail": self.mail, "mobile": self.mobile, "fax": self.fax}


# --- readers --------------------------------------------------------------------------------------


class Reader:
    """Reads one JSON object of an answer; errors name the operation, row and member."""

    def __init__(self, obj: object, where: str) -> None:
        if not isinstance(obj, Mapping):
            raise AxisProtocolError(f"{where} is {_kind(obj)}, not a JSON object")
        self._obj: Mapping[str, object] = obj
        self._where = where

    def opt_str(self, key: str) -> str | None:
        value = self._obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise AxisProtocolError(f"{self._where}: '{key}' is {_kind(value)}, not text")
        return str(value)

    def req_str(self, key: str) -> str:
        value = self.opt_str(key)
        if not value:
            raise AxisProtocolError(f"{self._where}: '{key}' is missing or empty")
        return value

    def opt_int(self, key: str) -> int | None:
        value = self._obj.get(key)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise AxisProtocolError(f"{self._where}: '{key}' is {_kind(value)}, not an integer")
        return value

    def opt_bool(self, key: str) -> bool | None:
        value = self._obj.get(key)
        if value is None or isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise AxisProtocolError(f"{self._where}: '{key}' is {_kind(value)}, not true/false")

    def str_list(self, key: str) -> tuple[str, ...]:
        value = self._obj.get(key)
        if value is None:
            return ()
        if isinstance(value, list):
            return tuple(Reader({"v": v}, f"{self._where} '{key}'").req_str("v") for v in value)
        return (self.req_str(key),)

    def doc_id(self, key: str, *, strict: bool) -> str:
        return check_doc_id(self.req_str(key), f"{self._where}: '{key}'", strict=strict)


def check_doc_id(value: str, where: str, *, strict: bool) -> str:
    """A DocId as the axis issues them (24 hex characters), or any header-safe token if lenient."""
    pattern = DOC_ID_PATTERN if strict else LENIENT_DOC_ID_PATTERN
    if not pattern.match(value):
        shown = repr(value[:40])
        expected = "24 hex characters" if strict else "printable ASCII without spaces"
        raise AxisProtocolError(f"{where} is {shown}, not a DocId ({expected})")
    return value


def rows(members: Mapping[str, object], operation: str) -> list[object]:
    """The ``data`` list of a list operation; missing or null means empty (Gson drops nulls)."""
    data = members.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise AxisProtocolError(f"{operation}: 'data' is {_kind(data)}, not a list")
    return data


def read_received_item(obj: object, where: str, *, strict_ids: bool) -> ReceivedItem:
    r = Reader(obj, where)
    return ReceivedItem(
        doc_id=r.doc_id("docId", strict=strict_ids),
        service_type=r.opt_str("serviceType"),
        message_type=r.opt_str("messageType"),
        created_time=r.opt_str("created_time"),
        updated_time=r.opt_str("updated_time"),
        from_code=r.opt_str("from"),
        to=r.str_list("to"),
        status=r.opt_str("status"),
        status_desc=r.opt_str("status_desc"),
    )


def read_sent_row(obj: object, where: str) -> SentRow:
    r = Reader(obj, where)
    return SentRow(
        service_type=r.opt_str("serviceType"),
        message_type=r.opt_str("messageType"),
        sender_doc_id=r.opt_str("senderDocId"),
        receiver_doc_id=r.opt_str("receiverDocId"),
        from_code=r.opt_str("fromCode"),
        to_code=r.opt_str("toCode"),
        title=r.opt_str("title"),
        notation=r.opt_str("notation"),
        sent_time=r.opt_str("sentTime"),
        received_time=r.opt_str("receivedTime"),
        send_status=r.opt_str("sendStatus"),
        send_status_desc=r.opt_str("sendStatusDesc"),
        receive_status=r.opt_str("receiveStatus"),
        receive_status_desc=r.opt_str("receiveStatusDesc"),
    )


def read_agency(obj: object, where: str) -> Agency:
    r = Reader(obj, where)
    return Agency(id=r.opt_str("id"), code=r.req_str("code"), name=r.opt_str("name"),
                  mail=r.opt_str("mail"), pid=r.opt_str("pid"), old_code=r.opt_str("oldCode"))


def read_agency_qd20(obj: object, where: str) -> AgencyQD20:
    r = Reader(obj, where)
    return AgencyQD20(id=r.opt_str("id"), code=r.req_str("code"), name=r.opt_str("name"),
                      mail=r.opt_str("mail"), code102=r.opt_str("code102"))


def read_sync_unit(obj: object, where: str) -> SyncUnit:
    r = Reader(obj, where)
    return SyncUnit(
        id=r.opt_str("id"), code=r.req_str("code"), name=r.opt_str("name"),
        mail=r.opt_str("mail"), pid=r.opt_str("pid"), version=r.opt_int("version"),
        center_code=r.opt_str("centerCode"), deleted=r.opt_bool("deleted"),
        modify_date=r.opt_str("modifyDate"), is_agency=r.opt_bool("isAgency"),
    )


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
