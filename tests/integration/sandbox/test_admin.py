"""The admin endpoints and registry changes while the sandbox runs."""

from __future__ import annotations

from agent.cli import main
from tests.integration.sandbox.conftest import (
    DISTRICT,
    G22,
    STTTT,
    TN,
    VPCP,
    Running,
    StartSandbox,
    edoc,
)


def test_admin_adds_a_system_and_an_organ_at_run_time(axis: Running) -> None:
    """POST /systems and /organs: the new system authenticates and its organ receives."""
    added = axis.admin("POST", "/systems", json={"id": "02.44.W00", "secret": "pt-secret",
                                                  "name": "Phú Thọ"})
    organ = axis.admin("POST", "/organs", json={"code": "000.00.00.H44", "system": "02.44.W00",
                                                "name": "UBND tỉnh Phú Thọ"})
    sent = axis.client(TN).send_edoc(edoc(recipients=("000.00.00.H44",)), from_=STTTT)
    phu_tho = axis.client("02.44.W00", secret="pt-secret")
    assert (200, 200, "OK") == (added.status_code, organ.status_code, sent["status"])
    assert ["000.00.00.H44"] == [i["to"] for i in phu_tho.get_received_edoc_list()["data"]]
    systems = axis.admin("GET", "/systems").json()
    assert {"id": "02.44.W00", "name": "Phú Thọ"} in systems
    assert "pt-secret" not in str(systems)


def test_admin_locks_an_organ(axis: Running) -> None:
    """POST /organs {code, locked}: the organ stops receiving (FAIL 23), its name is kept."""
    axis.admin("POST", "/organs", json={"code": DISTRICT, "locked": True})
    answer = axis.client(VPCP).send_edoc(edoc(sender=G22, recipients=(DISTRICT,)), from_=G22)
    organs = {o["code"]: o for o in axis.admin("GET", "/organs").json()}
    assert ("23", True, "UBND huyện Bến Cầu", TN) == (
        answer["ErrorCode"], organs[DISTRICT]["locked"], organs[DISTRICT]["name"],
        organs[DISTRICT]["system_id"])


def test_cli_registers_an_organ_while_the_server_runs(axis: Running) -> None:
    """`sandbox agency add` on the live data directory is seen by the next request."""
    data_dir = str(axis.server.config.data_dir)
    assert 0 == main(["sandbox", "agency", "add", "000.26.31.H53", "--system", TN,
                      "--name", "UBND xã Lợi Thuận", "--data-dir", data_dir])
    answer = axis.client(VPCP).send_edoc(edoc(sender=G22, recipients=("000.26.31.H53",)),
                                         from_=G22)
    assert "OK" == answer["status"]


def test_items_health_and_error_codes(axis: Running) -> None:
    """/items lists each delivery item with its state; /health and /error-codes answer."""
    axis.client(TN).send_edoc(edoc(recipients=(DISTRICT,)), from_=STTTT)
    items = axis.admin("GET", "/items").json()["items"]
    codes = {r["name"]: r["code"] for r in axis.admin("GET", "/error-codes").json()}
    assert [(DISTRICT, "initial", 0)] == [(i["to_code"], i["status"], i["deliveries"])
                                          for i in items]
    assert ({"status": "ok"}, "18") == (axis.admin("GET", "/health").json(),
                                        codes["recipient_unknown"])


def test_ledger_paging_with_since(axis: Running) -> None:
    """?since=SEQ returns only later events; `last` is the newest seq."""
    axis.client(TN).send_edoc(edoc(), from_=STTTT)
    first = axis.admin("GET", "/ledger").json()
    later = axis.admin("GET", f"/ledger?since={first['events'][0]['seq']}").json()
    assert (2, 1, first["last"]) == (len(first["events"]), len(later["events"]), later["last"])


def test_strict_validation_refuses_malformed_organ_codes(start_sandbox: StartSandbox) -> None:
    """A registered but malformed code (01.02.G22, seen in real traffic) passes bkav, not strict."""
    running = start_sandbox(validation="bkav")
    running.admin("POST", "/organs", json={"code": "01.02.G22", "system": VPCP})
    bkav = running.client(TN).send_edoc(edoc(recipients=("01.02.G22",)), from_=STTTT)
    running.server.stop()
    strict = start_sandbox(validation="strict").client(TN).send_edoc(
        edoc(recipients=("01.02.G22",)), from_=STTTT)
    assert ("OK", "22") == (bkav["status"], strict["ErrorCode"])
