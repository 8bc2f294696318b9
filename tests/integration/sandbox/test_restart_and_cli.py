"""Persistence across restarts, the subprocess mode and the ``lienthong-agent sandbox`` command."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agent.cli import build_parser, main
from tests.integration.sandbox.conftest import (
    COMMUNE,
    DISTRICT,
    STTTT,
    TN,
    StartSandbox,
    edoc,
)
from tests.support.axis_reference_client import AxisReferenceClient

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("durable", [False, True], ids=["default", "durable"])
def test_what_was_sent_before_a_restart_is_listed_and_fetchable_after(
    start_sandbox: StartSandbox, durable: bool
) -> None:
    """Stop the server, start a new one on the same data directory: lists, packages, ledger."""
    first = start_sandbox(durable=durable)
    tn = first.client(TN)
    doc_id = tn.send_edoc(edoc(), from_=STTTT)["DocId"]
    before = tn.get_received_edoc_list()["data"]
    packages = {i["docId"]: tn.get_edoc_bytes(i["docId"]) for i in before}
    tn.update_status(before[0]["docId"], "done")
    ledger = first.ledger()
    first.server.stop()

    second = start_sandbox(durable=durable)
    tn = second.client(TN)
    after = tn.get_received_edoc_list()["data"]
    assert [before[1]["docId"]] == [i["docId"] for i in after]
    assert packages == {d: tn.get_edoc_bytes(d) for d in packages}
    rows = tn.get_sent_edoc_list(doc_id)["data"]
    assert ["done", "initial"] == [r["receiveStatus"] for r in rows]
    assert ledger == second.ledger()[: len(ledger)]


def test_restart_keeps_organs_registered_at_run_time(start_sandbox: StartSandbox) -> None:
    """An organ added by registerAgency is still there after a restart."""
    first = start_sandbox()
    first.client(TN).register_agency({"pcode": DISTRICT, "code": "000.24.31.H53", "name": "Xã"})
    first.server.stop()
    codes = {a["code"] for a in start_sandbox().client(TN).get_agencies_list()["data"]}
    assert {"000.24.31.H53", COMMUNE} <= codes


def _sandbox_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sandbox: argparse.ArgumentParser = sub.choices["sandbox"]
    return sandbox


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    """`lienthong-agent sandbox --help` lists each option with a help text, and the fault kinds."""
    with pytest.raises(SystemExit):
        main(["sandbox", "--help"])
    text = capsys.readouterr().out
    options = [o for a in _sandbox_parser()._actions for o in a.option_strings]
    undocumented = [a.dest for a in _sandbox_parser()._actions
                    if a.option_strings and not a.help]
    assert len(options) > 25
    assert ([], []) == ([o for o in options if o not in text], undocumented)
    for kind in ("latency", "5xx", "429", "reset", "hang", "drop", "malformed", "duplicate",
                 "reorder"):
        assert kind in text


def test_agency_commands_manage_the_registry(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """agency add / lock / list --json / delete work on --data-dir."""
    data = str(tmp_path / "axis")
    assert 0 == main(["sandbox", "agency", "add", "000.22.31.H53", "--system", TN,
                      "--name", "UBND xã Long Chữ", "--data-dir", data])
    assert 0 == main(["sandbox", "agency", "lock", "000.22.31.H53", "--data-dir", data])
    capsys.readouterr()
    assert 0 == main(["sandbox", "agency", "list", "--json", "--data-dir", data])
    rows = json.loads(capsys.readouterr().out)
    assert [("000.22.31.H53", TN, 3, "000.00.31.H53", True)] == [
        (r["code"], r["system"], r["level"], r["pcode"], r["locked"]) for r in rows]
    assert 0 == main(["sandbox", "agency", "delete", "000.22.31.H53", "--data-dir", data])
    assert 1 == main(["sandbox", "agency", "unlock", "000.99.31.H53", "--data-dir", data])


def test_error_codes_command_prints_the_table(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`sandbox error-codes` shows the LS-LGSP set; --error-table overrides an entry."""
    table = tmp_path / "codes.yaml"
    table.write_text('recipient_unknown: {code: "404", desc: "Khong co don vi nhan"}\n')
    assert 0 == main(["sandbox", "--error-table", str(table), "error-codes", "--json"])
    rows = {r["name"]: r["code"] for r in json.loads(capsys.readouterr().out)}
    assert ("0", "15", "404", "23") == (rows["ok"], rows["auth"], rows["recipient_unknown"],
                                        rows["recipient_locked"])


def test_subprocess_mode_writes_the_port_and_stops_on_sigterm(tmp_path: Path) -> None:
    """`sandbox --port 0 --port-file F --url-file U --seed`: serves the seed; SIGTERM exits 0."""
    port_file, url_file = tmp_path / "port", tmp_path / "url"
    cmd = [sys.executable, "-m", "agent", "sandbox", "--port", "0", "--port-file", str(port_file),
           "--url-file", str(url_file), "--data-dir", str(tmp_path / "axis"), "--seed",
           "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "LIENTHONG_SANDBOX_ADMIN_TOKEN": ""})
    try:
        deadline = time.monotonic() + 20
        while not url_file.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        url = url_file.read_text().strip()
        assert url == f"http://127.0.0.1:{port_file.read_text().strip()}"
        client = AxisReferenceClient(url, "00.53.W00", "sandbox-secret-00.53.W00",
                                     http=httpx.Client(timeout=10))
        codes = {a["code"] for a in client.get_agencies_list()["data"]}
        assert {"000.00.00.G22", "000.00.13.H53", "000.22.31.H53"} <= codes
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    assert (0, f"listening on {url}") == (proc.returncode, out.decode().split(": ", 1)[1].strip())
