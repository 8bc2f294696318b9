"""Every operation of AXIS.md §5.4 over real HTTP, with its wire format and envelope."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.integration.sandbox.conftest import (
    COMMUNE,
    DISTRICT,
    G22,
    H36,
    LD,
    SAAS,
    STTTT,
    TN,
    VPCP,
    Running,
    StartSandbox,
    edoc,
    sha256,
    status,
)

OK = {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Thanh cong"}


def _envelope(answer: dict[str, object]) -> dict[str, object]:
    return {k: answer[k] for k in ("status", "ErrorCode", "ErrorDesc")}


def test_send_list_fetch_acknowledge_cycle(axis: Running) -> None:
    """sendEdoc → one item per To → getEdoc (base64) → updateStatus done takes it off the list."""
    tn = axis.client(TN)
    sent = tn.send_edoc(edoc(), from_=STTTT)
    assert (OK, 24) == (_envelope(sent), len(sent["DocId"]))
    items = tn.get_received_edoc_list()["data"]
    assert [(STTTT, DISTRICT, "initial", "edoc"), (STTTT, COMMUNE, "initial", "edoc")] == [
        (i["from"], i["to"], i["status"], i["messageType"]) for i in items]
    assert {"docId", "serviceType", "messageType", "created_time", "updated_time", "from", "to",
            "status", "status_desc"} == set(items[0])
    package = tn.get_edoc_bytes(items[0]["docId"])
    assert package.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert OK == tn.update_status(items[0]["docId"], "done")
    assert [items[1]["docId"]] == [i["docId"] for i in tn.get_received_edoc_list()["data"]]


def test_get_sent_edoc_list_mirrors_each_recipients_status(axis: Running) -> None:
    """One row per recipient; updateStatus of the receiver shows as receiveStatus (§12.7)."""
    tn = axis.client(TN)
    doc_id = tn.send_edoc(edoc(), from_=STTTT)["DocId"]
    first = tn.get_received_edoc_list()["data"][0]["docId"]
    tn.update_status(first, "done")
    rows = tn.get_sent_edoc_list(doc_id)["data"]
    assert [(DISTRICT, "done", first), (COMMUNE, "initial", rows[1]["receiverDocId"])] == [
        (r["toCode"], r["receiveStatus"], r["receiverDocId"]) for r in rows]
    assert {doc_id} == {r["senderDocId"] for r in rows}
    assert ("412/STTTT-VP", STTTT) == (rows[0]["notation"], rows[0]["fromCode"])
    assert rows[0]["title"].startswith("V/v đôn đốc kết nối")
    assert rows[0]["receivedTime"] and not rows[1]["receivedTime"]


def test_get_sent_edoc_list_of_another_systems_document_is_not_found(axis: Running) -> None:
    """A system cannot read the delivery list of a package it did not send."""
    doc_id = axis.client(TN).send_edoc(edoc(), from_=STTTT)["DocId"]
    answer = axis.client(LD).get_sent_edoc_list(doc_id)
    assert ("FAIL", "24") == (answer["status"], answer["ErrorCode"])


def test_download_edoc_streams_the_same_package_as_get_edoc(axis: Running) -> None:
    """GET downloadEdoc returns the raw package whose bytes equal getEdoc's decoded data."""
    tn = axis.client(TN)
    tn.send_edoc(edoc(), from_=STTTT)
    doc_id = tn.get_received_edoc_list()["data"][0]["docId"]
    response = tn.download_edoc(doc_id)
    assert (200, tn.get_edoc_bytes(doc_id)) == (response.status_code, response.content)


def test_update_status_values_and_their_effect_on_the_list(axis: Running) -> None:
    """processing and fail keep the item listed (with that status); a bad value is refused."""
    tn = axis.client(TN)
    tn.send_edoc(edoc(), from_=STTTT)
    first, second = (i["docId"] for i in tn.get_received_edoc_list()["data"])
    tn.update_status(first, "processing")
    tn.update_status(second, "fail", description="khong doc duoc")
    listed = {i["docId"]: i["status"] for i in tn.get_received_edoc_list()["data"]}
    bad = tn.update_status(first, "archived")
    assert ({first: "processing", second: "fail"}, "25") == (listed, bad["ErrorCode"])


def test_counts_follow_the_pending_lists(axis: Running) -> None:
    """countReceiveEdoc / countReceiveStatus count the caller's items not yet done."""
    tn, vpcp = axis.client(TN), axis.client(VPCP)
    vpcp.send_edoc(edoc(sender=G22), from_=G22)
    tn.send_edoc(status(sender=DISTRICT, to=G22), from_=DISTRICT, messagetype="status")
    counts = (tn.count_receive_edoc()["count"], vpcp.count_receive_status()["count"],
              vpcp.count_receive_edoc()["count"])
    assert (2, 1, 0) == counts


def test_status_goes_to_response_for_organ(axis: Running) -> None:
    """A status is delivered to ResponseFor/OrganId's system, in the status list only (§4.1)."""
    axis.client(VPCP).send_edoc(edoc(sender=G22), from_=G22)
    tn = axis.client(TN)
    answer = tn.send_edoc(status(sender=DISTRICT, to=G22), from_=DISTRICT, messagetype="status")
    vpcp_status = axis.client(VPCP).get_received_edoc_list("status")["data"]
    assert "OK" == answer["status"]
    assert [(DISTRICT, G22, "status")] == [(i["from"], i["to"], i["messageType"])
                                           for i in vpcp_status]
    assert [] == axis.client(VPCP).get_received_edoc_list("edoc")["data"]
    assert [] == tn.get_received_edoc_list("status")["data"]


def test_lgsp_system_receives_for_every_organ_registered_under_it(axis: Running) -> None:
    """VPCP sends to a district and a commune: the Tây Ninh centre polls both; others see none."""
    axis.client(VPCP).send_edoc(edoc(sender=G22), from_=G22)
    received = {i["to"] for i in axis.client(TN).get_received_edoc_list()["data"]}
    assert ({DISTRICT, COMMUNE}, []) == (received,
                                         axis.client(LD).get_received_edoc_list()["data"])


def test_get_edoc_of_an_item_addressed_elsewhere_is_not_found(axis: Running) -> None:
    """Lâm Đồng cannot fetch or acknowledge Tây Ninh's item (FAIL 24)."""
    tn = axis.client(TN)
    tn.send_edoc(edoc(), from_=STTTT)
    doc_id = tn.get_received_edoc_list()["data"][0]["docId"]
    ld = axis.client(LD)
    fetched, acked = ld.get_edoc(doc_id), ld.update_status(doc_id, "done")
    assert ("24", "24") == (fetched["ErrorCode"], acked["ErrorCode"])


def test_unknown_recipient_is_refused_with_18(axis: Running) -> None:
    """A To organ nobody registered: FAIL 18 naming it, and nothing is queued."""
    answer = axis.client(TN).send_edoc(edoc(recipients=(DISTRICT, "000.99.31.H53")), from_=STTTT)
    assert ("FAIL", "18") == (answer["status"], answer["ErrorCode"])
    assert "000.99.31.H53" in answer["ErrorDesc"]
    assert [] == axis.client(TN).get_received_edoc_list()["data"]


def test_locked_recipient_is_refused_with_23(axis: Running) -> None:
    """A locked organ cannot receive."""
    answer = axis.client(TN).send_edoc(edoc(recipients=("000.23.31.H53",)), from_=STTTT)
    assert ("FAIL", "23") == (answer["status"], answer["ErrorCode"])


def test_unregistered_sender_is_refused_with_19(axis: Running) -> None:
    """Tây Ninh may not send as the Government Office's organ: the axis wording, code 19."""
    answer = axis.client(TN).send_edoc(edoc(sender=G22), from_=G22)
    assert ("FAIL", "19") == (answer["status"], answer["ErrorCode"])
    assert f"Don vi gui {G22} khong dung voi ma da dang ky: {TN}" in answer["ErrorDesc"]


def test_saas_account_sends_as_itself_under_the_system_rule(start_sandbox: StartSandbox) -> None:
    """With --sender-rule system, `from` must equal the account; the account can receive too."""
    running = start_sandbox(sender_rule="system")
    saas = running.client(SAAS)
    as_itself = saas.send_edoc(edoc(sender=SAAS, recipients=(H36,)), from_=SAAS)
    as_organ = running.client(TN).send_edoc(edoc(), from_=STTTT)
    to_saas = running.client(LD).send_edoc(edoc(sender=LD, recipients=(SAAS,)), from_=LD)
    assert ("OK", "19", "OK") == (as_itself["status"], as_organ["ErrorCode"], to_saas["status"])
    assert [SAAS] == [i["to"] for i in saas.get_received_edoc_list()["data"]]


def test_body_forms_base64_and_hash_file_styles(axis: Running) -> None:
    """Raw+CRLF with SDK hash, raw with padded hash, base64 body, no hash: all accepted alike."""
    tn = axis.client(TN)
    answers = [tn.send_edoc(edoc(), from_=STTTT, hash_style="sdk"),
               tn.send_edoc(edoc(), from_=STTTT, hash_style="padded"),
               tn.send_edoc(edoc(), from_=STTTT, base64_body=True),
               tn.send_edoc(edoc(), from_=STTTT, hash_style=None, servicetype=None)]
    assert ["OK"] * 4 == [a["status"] for a in answers]
    accepted = {e["sha256"] for e in axis.ledger("accepted")}
    assert {sha256(edoc())} == accepted


def test_wrong_hash_file_is_refused_with_10(axis: Running) -> None:
    """hash-file that is not the package's digest: FAIL 10 (invalid file)."""
    params = [("from", STTTT), ("servicetype", "eDoc"), ("messagetype", "edoc"),
              ("hash-file", "0" * 64)]
    answer = axis.client(TN).call("sendEdoc", params, edoc(),
                                  content_type="application/octet-stream")
    assert ("FAIL", "10") == (answer["status"], answer["ErrorCode"])


def test_not_edxml_is_refused_with_22(axis: Running) -> None:
    """Non-XML, a DOCTYPE, a foreign root and a messagetype mismatch are edXML-format errors."""
    tn = axis.client(TN)
    bodies = [b"<not-closed>", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>',
              b'<doc xmlns="http://www.e-doc.vn/Schema/"/>']
    codes = [tn.send_edoc(b, from_=STTTT)["ErrorCode"] for b in bodies]
    codes.append(tn.send_edoc(edoc(), from_=STTTT, messagetype="status")["ErrorCode"])
    assert ["22", "22", "22", "22"] == codes


def test_empty_body_is_refused_with_10(axis: Running) -> None:
    """sendEdoc without a package."""
    answer = axis.client(TN).call("sendEdoc", [("from", STTTT), ("messagetype", "edoc")], b"\r\n",
                                  content_type="application/octet-stream")
    assert "10" == answer["ErrorCode"]


def test_validation_bkav_refuses_what_off_accepts(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """A package without a Subject passes at level off and fails at bkav (§12.9)."""
    text = edoc().decode()
    start, end = text.index("<edXML:Subject>"), text.index("</edXML:Subject>")
    no_subject = (text[:start] + text[end + len("</edXML:Subject>"):]).encode()
    lenient = start_sandbox().client(TN).send_edoc(no_subject, from_=STTTT)
    strict = start_sandbox(validation="bkav", data_dir=tmp_path / "bkav")
    answer = strict.client(TN).send_edoc(no_subject, from_=STTTT)
    assert ("OK", "22", True) == (lenient["status"], answer["ErrorCode"],
                                  "Subject" in answer["ErrorDesc"])


def test_directory_lists(axis: Running) -> None:
    """getAgenciesList (pid = the parent's id), QD20 by level, getSynchronizeUnit's fields."""
    tn = axis.client(TN)
    agencies = {a["code"]: a for a in tn.get_agencies_list()["data"]}
    commune, district = agencies[COMMUNE], agencies[DISTRICT]
    assert (district["id"], "UBND xã Long Chữ") == (commune["pid"], commune["name"])
    level1 = {a["code102"] for a in tn.get_agencies_list_qd20("1")["data"]}
    assert {"000.00.00.H53", G22, H36} == level1
    unit = next(u for u in tn.get_synchronize_unit()["data"] if u["code"] == COMMUNE)
    assert {"id", "code", "name", "mail", "pid", "version", "centerCode", "deleted", "modifyDate",
            "isAgency"} == set(unit)
    assert (TN, False, True) == (unit["centerCode"], unit["deleted"], unit["isAgency"])


def test_register_agency_then_it_receives_and_delete_agency_stops_it(axis: Running) -> None:
    """registerAgency puts an organ under the caller; deleteAgency soft-deletes it (version +1)."""
    tn = axis.client(TN)
    registered = tn.register_agency({"pcode": DISTRICT, "code": "000.24.31.H53",
                                     "name": "UBND xã Tiên Thuận", "mail": "tt@example.gov.vn"})
    sent = axis.client(VPCP).send_edoc(edoc(sender=G22, recipients=("000.24.31.H53",)), from_=G22)
    version = _unit(tn, "000.24.31.H53")["version"]
    deleted = tn.delete_agency("000.24.31.H53")
    again = axis.client(VPCP).send_edoc(edoc(sender=G22, recipients=("000.24.31.H53",)), from_=G22)
    unit = _unit(tn, "000.24.31.H53")
    assert ("OK", "OK", "OK", "18") == (registered["status"], sent["status"], deleted["status"],
                                       again["ErrorCode"])
    assert (True, version + 1) == (unit["deleted"], unit["version"])


def _unit(client: object, code: str) -> dict[str, object]:
    units = client.get_synchronize_unit()["data"]  # type: ignore[attr-defined]
    return next(u for u in units if u["code"] == code)


def test_register_or_delete_another_systems_agency_is_a_conflict(axis: Running) -> None:
    """Lâm Đồng cannot take over or delete a Tây Ninh organ (FAIL 26); bad bodies are 25."""
    ld = axis.client(LD)
    taken = ld.register_agency({"pcode": "", "code": DISTRICT, "name": "x"})
    deleted = ld.delete_agency(DISTRICT)
    bad = ld.call("registerAgency", (), b"not json")
    assert ("26", "26", "25") == (taken["ErrorCode"], deleted["ErrorCode"], bad["ErrorCode"])


def test_unknown_path_is_404_json_and_get_is_accepted(axis: Running) -> None:
    """Unknown operations answer 404 with a FAIL envelope; countReceiveEdoc works with GET."""
    response = axis.client(TN).request("deleteEverything")
    counted = axis.client(TN).request("countReceiveEdoc", [("messagetype", "edoc")], method="GET")
    assert (404, "FAIL") == (response.status_code, response.json()["status"])
    assert (200, 0) == (counted.status_code, counted.json()["count"])


def test_operations_under_a_path_prefix(start_sandbox: StartSandbox) -> None:
    """With --prefix /XrdAdapter/adapter the operations live below it, and only there."""
    running = start_sandbox(prefix="/XrdAdapter/adapter")
    assert running.server.url.endswith("/XrdAdapter/adapter")
    ok = running.client(TN).get_agencies_list()
    bare = running.http.post(running.server.base + "/getAgenciesList")
    assert ("OK", 404) == (ok["status"], bare.status_code)


def test_get_edoc_answer_is_one_json_object_with_base64_data(axis: Running) -> None:
    """The streamed getEdoc answer parses as JSON; data is standard base64 without line breaks."""
    tn = axis.client(TN)
    tn.send_edoc(edoc(), from_=STTTT)
    doc_id = tn.get_received_edoc_list()["data"][0]["docId"]
    raw = tn.request("getEdoc", [("docId", doc_id)], b"{}")
    answer = json.loads(raw.content)
    assert (OK, int(raw.headers["content-length"])) == (_envelope(answer), len(raw.content))
    assert b"\n" not in answer["data"].encode()
    assert base64.b64decode(answer["data"], validate=True).startswith(b"<?xml")


def test_package_over_the_size_limit_is_refused_with_10(start_sandbox: StartSandbox) -> None:
    """--max-package-bytes: a larger body gets FAIL 10 (read to its end, so the answer arrives)."""
    running = start_sandbox(max_package_bytes=4096)
    answer = running.client(TN).send_edoc(edoc(), from_=STTTT)
    assert ("FAIL", "10") == (answer["status"], answer["ErrorCode"])
    assert "4096" in answer["ErrorDesc"]
