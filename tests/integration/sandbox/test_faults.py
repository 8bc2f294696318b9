"""Each fault mode, over real HTTP: what the client sees and what the sandbox did (its ledger)."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from agent.sandbox import FaultKind, FaultRule
from tests.integration.sandbox.conftest import (
    COMMUNE,
    DISTRICT,
    G22,
    STTTT,
    TN,
    VPCP,
    Running,
    StartSandbox,
    edoc,
)


def rule(kind: str, *ops: str, **kw: object) -> FaultRule:
    return FaultRule(FaultKind(kind), frozenset(ops), **kw)  # type: ignore[arg-type]


def test_latency_delays_only_the_selected_operation(start_sandbox: StartSandbox) -> None:
    """latency on getReceivedEdocList waits ~0.3 s there and nowhere else."""
    running = start_sandbox(faults=(rule("latency", "getReceivedEdocList", seconds=0.3),))
    tn = running.client(TN)
    started = time.perf_counter()
    tn.get_received_edoc_list()
    slow = time.perf_counter() - started
    started = time.perf_counter()
    tn.get_agencies_list()
    fast = time.perf_counter() - started
    assert slow >= 0.3 > fast


def test_5xx_answers_the_status_and_stores_nothing(start_sandbox: StartSandbox) -> None:
    """A 502 instead of handling: no DocId, no item, the fault in the ledger."""
    running = start_sandbox(faults=(rule("5xx", "sendEdoc", status=502),))
    response = running.client(TN).request("sendEdoc", [("from", STTTT)], edoc(),
                                           content_type="application/octet-stream")
    assert (502, [], ["5xx sendEdoc"]) == (
        response.status_code, running.ledger("accepted"),
        [e["detail"] for e in running.ledger("fault")])


def test_429_carries_retry_after(start_sandbox: StartSandbox) -> None:
    """429 with the configured Retry-After, request not handled."""
    running = start_sandbox(faults=(rule("429", "getReceivedEdocList", retry_after=7),))
    response = running.client(TN).request("getReceivedEdocList", [("messagetype", "edoc")])
    assert (429, "7") == (response.status_code, response.headers["retry-after"])


def raw_post(running: Running, op: str) -> bytes:
    """POST /op on a plain socket; what the server sent before closing."""
    with socket.create_connection(("127.0.0.1", running.server.port), timeout=5) as sock:
        sock.sendall(f"POST /{op} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
        return sock.recv(1000)


def test_reset_breaks_the_connection_without_storing(start_sandbox: StartSandbox) -> None:
    """A TCP reset (RST, not a clean close): the client gets a transport error; nothing stored."""
    running = start_sandbox(faults=(rule("reset", "sendEdoc", "getAgenciesList"),))
    with pytest.raises(httpx.TransportError):
        running.client(TN).send_edoc(edoc(), from_=STTTT)
    with pytest.raises(ConnectionResetError):
        raw_post(running, "getAgenciesList")
    assert [] == running.ledger("accepted")


def test_hang_never_answers_until_the_client_gives_up(start_sandbox: StartSandbox) -> None:
    """hang: the client's read timeout fires; the sandbox handled nothing."""
    running = start_sandbox(faults=(rule("hang", "sendEdoc", seconds=30),))
    client = running.client(TN, http=httpx.Client(timeout=httpx.Timeout(5, read=0.5)))
    with pytest.raises(httpx.ReadTimeout):
        client.send_edoc(edoc(), from_=STTTT)
    assert [] == running.ledger("accepted")


def test_drop_is_the_lost_acknowledgement(start_sandbox: StartSandbox) -> None:
    """drop on sendEdoc: no answer reaches the client, yet the package IS stored and delivered."""
    running = start_sandbox(faults=(rule("drop", "sendEdoc", times=1),))
    with pytest.raises(httpx.TransportError):
        running.client(TN).send_edoc(edoc(), from_=STTTT)
    listed = {i["to"] for i in running.client(TN).get_received_edoc_list()["data"]}
    assert {DISTRICT, COMMUNE} == listed
    assert ["sendEdoc"] == [e["detail"] for e in running.ledger("response-dropped")]
    again = running.client(TN).send_edoc(edoc(), from_=STTTT)  # times=1: the next one answers
    assert "OK" == again["status"]


def test_drop_closes_without_a_single_byte(start_sandbox: StartSandbox) -> None:
    """drop sends no status line at all: the connection just ends."""
    running = start_sandbox(faults=(rule("drop", "getAgenciesList"),))
    assert b"" == raw_post(running, "getAgenciesList")


def test_drop_on_update_status_records_the_ack(start_sandbox: StartSandbox) -> None:
    """A dropped updateStatus answer: the client is left unsure, the ack is recorded anyway."""
    running = start_sandbox(faults=(rule("drop", "updateStatus"),))
    tn = running.client(TN)
    tn.send_edoc(edoc(recipients=(DISTRICT,)), from_=STTTT)
    doc_id = tn.get_received_edoc_list()["data"][0]["docId"]
    with pytest.raises(httpx.TransportError):
        tn.update_status(doc_id, "done")
    assert ([], ["done"]) == (tn.get_received_edoc_list()["data"],
                              [e["detail"] for e in running.ledger("acknowledged")])


def test_malformed_json_after_handling(start_sandbox: StartSandbox) -> None:
    """malformed: HTTP 200 with a body that is not JSON; the package was stored."""
    running = start_sandbox(faults=(rule("malformed", "sendEdoc"),))
    response = running.client(TN).request(
        "sendEdoc", [("from", STTTT), ("messagetype", "edoc")], edoc(),
        content_type="application/octet-stream")
    with pytest.raises(ValueError):
        response.json()
    assert (200, 2) == (response.status_code, len(running.ledger("accepted")))


def test_duplicate_lists_an_acknowledged_item_again(start_sandbox: StartSandbox) -> None:
    """duplicate: after `done`, the same docId comes back as initial and can be fetched again."""
    running = start_sandbox()
    tn = running.client(TN)
    tn.send_edoc(edoc(recipients=(DISTRICT,)), from_=STTTT)
    doc_id = tn.get_received_edoc_list()["data"][0]["docId"]
    tn.update_status(doc_id, "done")
    running.admin("PUT", "/faults", json={"seed": 1, "rules": [
        {"kind": "duplicate", "ops": ["getReceivedEdocList"]}]})
    again = tn.get_received_edoc_list()["data"]
    assert [(doc_id, "initial")] == [(i["docId"], i["status"]) for i in again]
    assert "OK" == tn.get_edoc(doc_id)["status"]
    assert [doc_id] == [e["doc_id"] for e in running.ledger("duplicated")]


def test_reorder_shuffles_the_list_reproducibly(start_sandbox: StartSandbox) -> None:
    """reorder: same items, another order; the same seed gives the same order."""
    running = start_sandbox()
    vpcp = running.client(VPCP)
    for n in range(8):
        vpcp.send_edoc(edoc(sender=G22, recipients=(DISTRICT,), document_id=f"G22,{n}"), from_=G22)
    tn = running.client(TN)
    in_order = [i["docId"] for i in tn.get_received_edoc_list()["data"]]
    orders = []
    for _ in range(2):
        running.admin("PUT", "/faults", json={"seed": 42, "rules": [{"kind": "reorder"}]})
        orders.append([i["docId"] for i in tn.get_received_edoc_list()["data"]])
    assert orders[0] == orders[1] != in_order
    assert sorted(in_order) == sorted(orders[0])


def test_faults_are_reproducible_from_the_seed(start_sandbox: StartSandbox) -> None:
    """rate=0.5 on getAgenciesList: the same seed gives the same pattern of 503s."""
    running = start_sandbox()
    tn = running.client(TN)
    patterns = []
    for _ in range(2):
        running.admin("PUT", "/faults", json={"seed": 7, "rules": [
            {"kind": "5xx", "ops": ["getAgenciesList"], "rate": 0.5}]})
        patterns.append([tn.request("getAgenciesList").status_code for _ in range(16)])
    assert patterns[0] == patterns[1]
    assert {200, 503} == set(patterns[0])


def test_fault_on_one_operation_leaves_the_others_alone(start_sandbox: StartSandbox) -> None:
    """A 5xx rule on sendEdoc does not touch getReceivedEdocList."""
    running = start_sandbox(faults=(rule("5xx", "sendEdoc"),))
    assert "OK" == running.client(TN).get_received_edoc_list()["status"]


def test_admin_changes_faults_at_run_time_and_counts_firings(axis: Running) -> None:
    """PUT sets rules (with `times`), GET reports how often each fired, DELETE clears them."""
    put = axis.admin("PUT", "/faults", json={"seed": 3, "rules": [
        {"kind": "5xx", "ops": ["getAgenciesList"], "times": 2, "status": 500}]})
    codes = [axis.client(TN).request("getAgenciesList").status_code for _ in range(3)]
    fired = axis.admin("GET", "/faults").json()["rules"][0]["fired"]
    cleared = axis.admin("DELETE", "/faults").json()
    assert (200, [500, 500, 200], 2, []) == (put.status_code, codes, fired, cleared["rules"])


def test_admin_refuses_a_bad_fault_spec(axis: Running) -> None:
    """An unknown kind is a 400 naming the problem; the plan is unchanged."""
    response = axis.admin("PUT", "/faults", json={"rules": [{"kind": "meteor"}]})
    assert (400, "kind") == (response.status_code,
                             "kind" if "kind" in response.json()["error"] else "")


def test_admin_needs_the_token_and_is_off_without_one(start_sandbox: StartSandbox,
                                                      tmp_path: object) -> None:
    """401 without the token; 404 when the sandbox was started without an admin token."""
    running = start_sandbox()
    no_token = running.http.get(running.server.admin_url + "/ledger")
    wrong = running.http.get(running.server.admin_url + "/ledger",
                             headers={"X-Sandbox-Admin-Token": "nope"})
    closed = start_sandbox(admin_token=None, data_dir=running.server.config.data_dir / "other")
    disabled = closed.http.get(closed.server.admin_url + "/ledger",
                               headers={"Authorization": "Bearer admin-t0ken"})
    assert (401, 401, 404) == (no_token.status_code, wrong.status_code, disabled.status_code)
