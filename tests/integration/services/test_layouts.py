"""Folder layouts and pickup modes: the shared layout of an LGSP-style agent, quiescence pickup
for producers that cannot rename, delivery reports from the axis, and the failpoint syntax."""

from __future__ import annotations

import json

import pytest

from agent.core.lifecycle import Kind
from agent.services.failpoints import FailpointCrash, Failpoints, FailpointSpecError

from .conftest import Axis, NodeFactory, document_json, inbox_folders, timeline, until
from .fixtures import COMMUNE, DISTRICT, STTTT, drop_file, drop_folder, metadata, pdf

SHARED = """
    exchange:
      layout: shared
    """


def test_the_shared_layout_routes_by_from_and_by_recipient(make_node: NodeFactory) -> None:
    """A (shared layout, default sender) sends to both of B's organs; B (shared layout) puts
    both deliveries in the one inbox, document.json naming the organ each is for; B's DMS
    answers for the district with 'from'."""
    a = make_node("a", extra=SHARED + "  default_sender: 000.00.13.H53\n")
    b = make_node("b", extra=SHARED)
    assert a.folders(STTTT).base == a.root / "exchange"
    drop_folder(a.folders(STTTT).outbox, "412", metadata())
    a.cycle()
    b.cycle()
    folders = inbox_folders(b, DISTRICT)
    assert sorted(document_json(f)["organ_id"] for f in folders) == sorted([COMMUNE, DISTRICT])
    document_id = document_json(folders[0])["document_id"]
    drop_file(b.folders(DISTRICT).status_out, "03.json", json.dumps(
        {"document_id": document_id, "code": "03", "from": DISTRICT}).encode())
    b.cycle()
    until(lambda: {r["organ_id"]: r["progress"] for r in timeline(a)["recipients"]}
          == {DISTRICT: "03", COMMUNE: "01"}, step=a.cycle)


def test_the_shared_layout_refuses_a_sender_it_does_not_serve(make_node: NodeFactory) -> None:
    """In the shared layout 'from' must be one of the agent's organs."""
    a = make_node("a", extra=SHARED)
    drop_folder(a.folders(STTTT).outbox, "412", metadata(**{"from": DISTRICT}))
    a.scan()
    a.drain()
    [claim] = list(a.folders(STTTT).failed.iterdir())
    assert "sends for 000.00.13.H53 only" in json.loads((claim / "error.json").read_text())["hint"]


def test_quiescence_waits_until_an_item_stops_changing(make_node: NodeFactory) -> None:
    """In quiescence mode an item written in place (no rename) is taken only once it has not
    changed for quiescence_seconds."""
    a = make_node("a", extra="""
        pickup:
          mode: quiescence
          quiescence_seconds: 0.3
        """)
    folder = a.folders(STTTT).outbox / "412"
    folder.mkdir()
    (folder / "metadata.json").write_text(json.dumps(metadata(to=[DISTRICT])))
    (folder / "412.pdf").write_bytes(pdf())
    assert a.services.pickup.scan_all() is not None  # seen, not quiet yet: look again later
    assert a.items(Kind.OUTBOUND) == []
    until(lambda: a.items(Kind.OUTBOUND), step=a.scan)
    assert not folder.exists()


def test_delivery_reports_mark_recipients_that_send_no_receipt(
    make_node: NodeFactory, axis: Axis,
) -> None:
    """B acknowledges but sends no 01 (auto_received off): A learns from getSentEdocList that
    the district fetched it, and its timeline says 'delivered'."""
    a = make_node("a")
    b = make_node("b", extra="""
        receipts:
          auto_received: false
        """)
    drop_folder(a.folders(STTTT).outbox, "412", metadata(to=[DISTRICT]))
    a.cycle()
    [recipient] = timeline(a)["recipients"]
    assert recipient["delivery"] == "sent"
    b.cycle()
    assert a.services.delivery_reports.check() == 1
    [recipient] = timeline(a)["recipients"]
    assert recipient["delivery"] == "delivered" and recipient["receipts"] == []
    assert a.services.delivery_reports.check() == 0


@pytest.mark.parametrize("spec", ["after-nothing=kill", "after-sign=explode",
                                  "after-sign=kill@0", "broken:everything"])
def test_a_failpoint_typo_is_refused(spec: str) -> None:
    """An unknown point, action, hit number or broken variant is an error, never ignored."""
    with pytest.raises(FailpointSpecError):
        Failpoints.parse(spec)


def test_failpoints_fire_at_the_chosen_hit_only() -> None:
    """``raise@2`` passes the first hit and raises at the second; nothing is armed by default."""
    points = Failpoints.parse("after-sign=raise@2, broken:mark-sent-before-upload")
    assert points.active and points.is_broken("mark-sent-before-upload")
    points.hit("after-sign")
    points.hit("after-pickup")
    with pytest.raises(FailpointCrash):
        points.hit("after-sign")
    points.hit("after-sign")
    assert not Failpoints.from_environ({}).active
