"""Typed results read defensively from the axis's JSON (axis.models)."""

from __future__ import annotations

import pytest

from agent.axis.models import (
    AgencyRegistration,
    check_doc_id,
    read_agency,
    read_agency_qd20,
    read_received_item,
    read_sent_row,
    read_sync_unit,
    rows,
)
from agent.errors import AxisProtocolError

ITEM = {
    "docId": "68edb8c8c2dcb14db773ce44", "serviceType": "eDoc", "messageType": "edoc",
    "created_time": "2026-11-24 02:35:44", "updated_time": 1763926544000,
    "from": "000.00.13.H53", "to": "000.00.31.H53", "status": "initial", "status_desc": None,
}


def test_received_item() -> None:
    """A list row becomes a ReceivedItem; numbers become text, a single 'to' a 1-tuple."""
    item = read_received_item(ITEM, "row 0", strict_ids=True)
    assert item.doc_id == "68edb8c8c2dcb14db773ce44"
    assert item.updated_time == "1763926544000"
    assert item.to == ("000.00.31.H53",) and item.status_desc is None


def test_received_item_with_a_list_of_recipients() -> None:
    """'to' given as a JSON list is kept as a tuple."""
    item = read_received_item({**ITEM, "to": ["000.00.31.H53", "000.22.31.H53"]}, "r",
                              strict_ids=True)
    assert item.to == ("000.00.31.H53", "000.22.31.H53")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"docId": "68edb8c8c2dcb14db773ce4"}, "not a DocId (24 hex characters)"),
        ({"docId": "68edb8c8c2dcb14db773ce4Z"}, "not a DocId"),
        ({"docId": None}, "'docId' is missing"),
        ({"docId": ""}, "'docId' is missing"),
        ({"status": {"a": 1}}, "'status' is an object, not text"),
        ({"from": True}, "'from' is a boolean, not text"),
        ({"to": [1, None]}, "is missing or empty"),
    ],
)
def test_lying_rows_are_protocol_errors(change: dict[str, object], fragment: str) -> None:
    """Wrong types and malformed ids in a row raise AxisProtocolError naming the member."""
    with pytest.raises(AxisProtocolError) as caught:
        read_received_item({**ITEM, **change}, "getReceivedEdocList row 3", strict_ids=True)
    assert "getReceivedEdocList row 3" in caught.value.message
    assert fragment in caught.value.message


def test_lenient_doc_ids_still_refuse_header_breaking_text() -> None:
    """Lenient ids accept other shapes but never spaces or line breaks (they go into headers)."""
    assert check_doc_id("abc-123", "docId", strict=False) == "abc-123"
    for bad in ("a b", "a\r\nX-Injected: 1", "", "x" * 200):
        with pytest.raises(AxisProtocolError):
            check_doc_id(bad, "docId", strict=False)


def test_rows() -> None:
    """'data' missing or null is an empty list; anything but a list is a lie."""
    assert rows({"status": "OK"}, "op") == [] == rows({"data": None}, "op")
    with pytest.raises(AxisProtocolError, match="'data' is text, not a list"):
        rows({"data": "x"}, "op")
    with pytest.raises(AxisProtocolError, match="row 0 is a list, not a JSON object"):
        read_agency([], "row 0")


def test_directory_rows() -> None:
    """Agency, QĐ 20 and synchronisation rows read with their types."""
    agency = read_agency({"id": 5, "code": "000.00.13.H53", "name": "Sở TT&TT", "pid": "x",
                          "oldCode": None}, "r")
    assert agency.id == "5" and agency.name == "Sở TT&TT" and agency.old_code is None
    qd20 = read_agency_qd20({"code": "H53.13", "code102": "000.00.13.H53"}, "r")
    assert qd20.code102 == "000.00.13.H53"
    unit = read_sync_unit({"code": "c", "version": "3", "deleted": False, "isAgency": "true"},
                          "r")
    assert unit.version == 3 and unit.deleted is False and unit.is_agency is True
    with pytest.raises(AxisProtocolError, match="not an integer"):
        read_sync_unit({"code": "c", "version": 1.5}, "r")
    with pytest.raises(AxisProtocolError, match="not true/false"):
        read_sync_unit({"code": "c", "deleted": "yes"}, "r")
    with pytest.raises(AxisProtocolError, match="'code' is missing"):
        read_agency({"name": "x"}, "r")


def test_sent_row() -> None:
    """A getSentEdocList row keeps every field of §5.4."""
    row = read_sent_row({"toCode": "000.00.31.H53", "receiveStatus": "done",
                         "receivedTime": "2026-11-24"}, "r")
    assert row.to_code == "000.00.31.H53" and row.receive_status == "done"


def test_registration_body() -> None:
    """registerAgency's body has the seven keys of §5.4, id empty by default."""
    body = AgencyRegistration(pcode="000.00.24.H44", code="000.46.24.H44", name="UBND xã").to_json()
    assert body == {"id": "", "pcode": "000.00.24.H44", "code": "000.46.24.H44",
                    "name": "UBND xã", "mail": "", "mobile": "", "fax": ""}
