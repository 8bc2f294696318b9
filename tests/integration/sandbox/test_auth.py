"""Authentication over real HTTP: the HMAC vector, wrong secrets, unknown systems, the quirks."""

from __future__ import annotations

import logging

import pytest

from agent.sandbox import Registry, SystemSpec
from tests.integration.sandbox.conftest import (
    DISTRICT,
    LD,
    SECRETS,
    TN,
    Running,
    StartSandbox,
    edoc,
)
from tests.support.axis_reference_client import sign_fields, signed_headers

VECTOR = {  # examples/hmac-vector.json of AXIS.md §5.2
    "secret": "s3cr3t-key",
    "fields": [("systemid", "test.system.01"), ("servicetype", "eDoc"), ("messagetype", "edoc"),
               ("timestamp", "24112026T023544+0351"), ("Content-Type", "application/json")],
    "sign_header_key": "systemid;servicetype;messagetype;timestamp;Content-Type",
    "sign_header": '{"XroadVnpt-systemid":"test.system.01","XroadVnpt-servicetype":"eDoc",'
                   '"XroadVnpt-messagetype":"edoc","XroadVnpt-timestamp":"24112026T023544+0351",'
                   '"XroadVnpt-Content-Type":"application/json"}',
    "hash_header": "df1b8d61b60a79edf92f835c65553cf104115ede14ab24c951878028106c1bd8",
}


def test_reference_client_reproduces_the_hmac_vector() -> None:
    """The independent client computes the sign-header and hash of AXIS.md's vector exactly."""
    key, text, mac = sign_fields(str(VECTOR["secret"]), list(VECTOR["fields"]))
    assert (VECTOR["sign_header_key"], VECTOR["sign_header"], VECTOR["hash_header"]) == (
        key, text, mac)


def test_sandbox_accepts_the_vector_request_as_sent(start_sandbox: StartSandbox) -> None:
    """The exact headers of the vector (frozen 2026 timestamp included) authenticate."""
    vector_system = SystemSpec("test.system.01", "s3cr3t-key")
    running = start_sandbox(registry=Registry(systems=(vector_system,)))
    headers = [(k, v) for k, v in (
        ("XroadVnpt-systemid", "test.system.01"), ("XroadVnpt-servicetype", "eDoc"),
        ("XroadVnpt-messagetype", "edoc"), ("XroadVnpt-timestamp", "24112026T023544+0351"),
        ("Content-Type", "application/json"), ("XroadVnpt-Content-Type", "application/json"),
        ("XroadVnpt-sign-header-key", VECTOR["sign_header_key"]),
        ("XroadVnpt-sign-header", VECTOR["sign_header"]),
        ("XroadVnpt-hash-header", VECTOR["hash_header"]),
        ("User-Agent", "JAVASDKAgent/1.0.0 XRoad/VPCP"), ("XroadVnpt-version", "3.0.201608"))]
    answer = running.http.post(running.server.url + "/getReceivedEdocList", headers=headers).json()
    assert {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Thanh cong", "data": []} == answer


def test_wrong_secret_gets_fail_15(axis: Running) -> None:
    """A request signed with another secret is refused with the auth code and stores nothing."""
    answer = axis.client(TN, secret="not-the-secret").send_edoc(edoc(), from_="000.00.13.H53")
    assert ("FAIL", "15") == (answer["status"], answer["ErrorCode"])
    assert [] == axis.ledger("accepted")


def test_unknown_system_gets_fail_15(axis: Running) -> None:
    """A system id the registry does not know is refused, HTTP 200 with a FAIL envelope."""
    response = axis.client("99.99.W00", secret="whatever").request("getAgenciesList")
    assert 200 == response.status_code
    answer = response.json()
    assert ("FAIL", "15") == (answer["status"], answer["ErrorCode"])
    assert "99.99.W00" in answer["ErrorDesc"]


def test_header_changed_after_signing_is_refused(axis: Running) -> None:
    """A signed parameter whose header no longer matches its signed value fails (§5.2 step 4)."""
    headers = signed_headers(TN, SECRETS[TN], "application/json",
                             [("servicetype", "eDoc"), ("messagetype", "edoc")])
    headers = [(k, "status" if k == "XroadVnpt-messagetype" else v) for k, v in headers]
    answer = axis.http.post(axis.server.url + "/getReceivedEdocList", headers=headers).json()
    assert ("FAIL", "15") == (answer["status"], answer["ErrorCode"])


def test_header_names_in_any_case_and_members_in_any_order(axis: Running) -> None:
    """Lower-case header names and a sign-header in another member order are accepted (§5.3)."""
    fields = [("timestamp", "01012020T000000+0000"), ("messagetype", "edoc"),
              ("Content-Type", "application/json"), ("systemid", TN), ("servicetype", "eDoc")]
    key, text, mac = sign_fields(SECRETS[TN], fields)
    headers = {"xroadvnpt-" + k.lower(): v for k, v in fields}
    headers |= {"xroadvnpt-sign-header-key": key, "xroadvnpt-sign-header": text,
                "xroadvnpt-hash-header": mac, "content-type": "application/json"}
    answer = axis.http.post(axis.server.url + "/getreceivededoclist", headers=headers).json()
    assert ("OK", []) == (answer["status"], answer["data"])


def test_accumulated_headers_frozen_timestamp_and_lower_case_docid(axis: Running) -> None:
    """The SDK's leftovers (old parameters, a frozen 2019 timestamp) and Bkav's ``docid`` work."""
    sender = axis.client(TN)
    assert "OK" == sender.send_edoc(edoc(), from_="000.00.13.H53")["status"]
    sdk = axis.client(TN, frozen_timestamp="05112019T101010+0042", accumulate=True)
    items = sdk.get_received_edoc_list()["data"]
    answer = sdk.get_edoc(items[0]["docId"], id_name="docid")
    assert ("OK", True) == (answer["status"], len(answer["data"]) > 1000)


def test_max_skew_refuses_old_timestamps_only_when_set(start_sandbox: StartSandbox) -> None:
    """Old timestamps pass by default (§5.3); with --max-skew 60 they get the auth failure."""
    running = start_sandbox(max_skew=60.0)
    old = running.client(TN, frozen_timestamp="05112019T101010+0042").get_agencies_list()
    fresh = running.client(TN).get_agencies_list()
    assert (("FAIL", "15"), "OK") == ((old["status"], old["ErrorCode"]), fresh["status"])


def test_secrets_never_appear_in_logs_or_admin_answers(
    start_sandbox: StartSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither a wrong nor a right secret is written to the log, nor shown by /_sandbox/systems."""
    caplog.set_level(logging.DEBUG)
    running = start_sandbox(log_requests=True)
    running.client(TN, secret="wrong-secret-xyz").get_agencies_list()
    running.client(TN).get_agencies_list()
    systems = running.admin("GET", "/systems").text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused getAgenciesList" in logged  # the refusal itself is logged
    leaks = [s for s in (*SECRETS.values(), "wrong-secret-xyz") if s in logged or s in systems]
    assert [] == leaks


def test_organ_code_cannot_authenticate_as_a_system(axis: Running) -> None:
    """An organ code is not a system id: signing as 000.00.31.H53 fails even with a real secret."""
    answer = axis.client(DISTRICT, secret=SECRETS[TN]).get_agencies_list()
    assert "15" == answer["ErrorCode"]


def test_other_systems_secret_does_not_open_this_system(axis: Running) -> None:
    """Lâm Đồng's secret used with Tây Ninh's system id is a wrong secret."""
    answer = axis.client(TN, secret=SECRETS[LD]).get_agencies_list()
    assert "15" == answer["ErrorCode"]


def test_request_without_signature_headers_is_refused(axis: Running) -> None:
    """A plain POST without XroadVnpt headers is refused, not served."""
    answer = axis.http.post(axis.server.url + "/getAgenciesList").json()
    assert ("FAIL", "15") == (answer["status"], answer["ErrorCode"])

