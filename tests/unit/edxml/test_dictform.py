"""Model ⇄ plain data: what inspect --json prints, build --metadata reads back."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings

from agent.core.edxml import (
    BusinessDocType,
    MessageHeader,
    StatusHeader,
    TraceHeaderList,
    from_plain,
    to_plain,
)
from agent.errors import InvalidValueError
from tests.unit.edxml import strategies as s


@settings(max_examples=100)
@given(s.edoc_headers, s.trace_lists.filter(lambda t: t is not None), s.status_headers)
def test_plain_form_round_trips_through_json(
    header: MessageHeader, trace: TraceHeaderList, status: StatusHeader
) -> None:
    """to_plain → JSON → from_plain gives the same models."""
    for model in (header, trace, status):
        plain = json.loads(json.dumps(to_plain(model)))
        assert model == from_plain(type(model), plain, "header")


def test_yaml_style_values_are_accepted() -> None:
    """Native dates, ISO strings, numbers for text, business type by name or number."""
    trace = from_plain(TraceHeaderList, {
        "trace_headers": [{"organ_id": 1, "timestamp": dt.datetime(2024, 11, 5, 8, 30)},
                          {"timestamp": "2024-11-05T08:31:00.250"}],
        "business": {"business_doc_type": "Recall", "paper": "0"},
    }, "trace_list")
    assert ("1", dt.datetime(2024, 11, 5, 8, 31), BusinessDocType.RECALL, 0) == (
        trace.trace_headers[0].organ_id, trace.trace_headers[1].timestamp,
        trace.business.business_doc_type, trace.business.paper)
    assert BusinessDocType.REPLACE == from_plain(
        TraceHeaderList, {"business": {"business_doc_type": 3}}, "t").business.business_doc_type


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"recipients": [{"organ_id": "x"}], "document_id": "d"},
         "at 'header.sender': is required"),
        ({"sender": {"organ_id": "x", "organ_nam": "typo"}, "recipients": [], "document_id": "d"},
         "at 'header.sender': unknown key(s) organ_nam"),
        ({"sender": {"organ_id": "x"}, "recipients": {"organ_id": "y"}, "document_id": "d"},
         "at 'header.recipients': expected a list"),
        ({"sender": {"organ_id": "x"}, "recipients": [], "document_id": "d",
          "due_date": "20/11/2024"}, "'header.due_date': '20/11/2024' is not a date"),
        ({"sender": {"organ_id": "x"}, "recipients": [], "document_id": "d",
          "steering_type": True}, "at 'header.steering_type': expected int, got true/false"),
        ({"sender": {"organ_id": ["x"]}, "recipients": [], "document_id": "d"},
         "at 'header.sender.organ_id': expected text"),
    ],
    ids=["missing", "typo", "not-list", "bad-date", "bool-for-int", "list-for-text"],
)
def test_metadata_errors_name_the_key_path(data: dict[str, Any], message: str) -> None:
    """An operator editing a metadata file is told exactly which key is wrong."""
    with pytest.raises(InvalidValueError) as caught:
        from_plain(MessageHeader, data, "header")
    assert message in caught.value.message
