"""The demo's pieces and the demo itself: its workspace is what the agent accepts (valid
configurations, a document folder that passes the folder contract, a PDF that takes a PAdES
signature), and ``demo --dir`` ends with the delivered document and the receipts timeline
where it says."""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from agent.cli._demo_pdf import sample_pdf
from agent.cli._demo_setup import ITEM, agencies, prepare
from agent.config import load_config
from agent.files.metadata import load_document_folder
from agent.signing.keys import SigningIdentity
from agent.signing.pdf import sign_pdf, verify_pdf
from agent.signing.trust import TrustPolicy


def test_the_workspace_is_what_the_agent_accepts(tmp_path: Path) -> None:
    """Both configurations validate and name each agency's own key, the sample document folder
    passes the folder contract, and no axis secret is written in a configuration."""
    pair = agencies(tmp_path)
    space = prepare(pair, "http://127.0.0.1:9", dt.datetime.now(dt.UTC))
    for agency in space.agencies:
        config = load_config(agency.config, environ={})
        assert config.organs[0].code == agency.organ
        assert config.signing.key_file == space.keys / f"{agency.organ}.p12"
        assert agency.secret not in agency.config.read_text()
    request = load_document_folder(space.sample)
    assert request.metadata.to == [space.recipient.organ]
    assert [a.name for a in request.attachments] == [f"{ITEM}.pdf"]


def test_the_sample_pdf_takes_the_organisations_signature(tmp_path: Path) -> None:
    """The hand-written PDF is a real PDF: signed with the demo key, it verifies as valid
    against the demo root."""
    pair = agencies(tmp_path)
    now = dt.datetime.now(dt.UTC)
    space = prepare(pair, "http://127.0.0.1:9", now)
    password = (space.keys / "key-password").read_text().strip()
    identity = SigningIdentity.from_pkcs12_file(space.keys / f"{pair[0].organ}.p12", password)
    signed = io.BytesIO()
    sign_pdf(io.BytesIO(sample_pdf(["Cong van 412/STTTT-VP"])), signed, identity, now=now)
    signed.seek(0)
    trust = TrustPolicy.from_pem_files([space.keys / "dev-root-ca.pem"])
    reports = verify_pdf(signed, trust, target=f"{ITEM}.pdf", now=now)
    assert [r.status.value for r in reports] == ["valid"]


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    return subprocess.run([sys.executable, "-m", "agent", "demo", *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def _printed(out: str, label: str) -> Path:
    line = next(x for x in out.splitlines() if x.strip().startswith(label))
    return Path(line.split(":", 1)[1].strip())


def _unlocked(journal: Path) -> bool:
    """No agent holds the journal's lock any more: both daemons have stopped."""
    with open(f"{journal}.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
    return True


def test_demo_delivers_the_document_and_brings_its_receipts_back(tmp_path: Path) -> None:
    """`demo --dir TMP` exits 0; the delivered document is in B's inbox with a document.json
    whose PDF signature is valid, and A's receipts timeline lists 01, 03 and 06 from B, at the
    paths the demo prints. Both agents are stopped afterwards."""
    workspace = tmp_path / "demo"
    result = _demo("--dir", str(workspace))
    assert result.returncode == 0, result.stdout + result.stderr
    folder = _printed(result.stdout, "delivered document")
    document = json.loads((folder / "document.json").read_text(encoding="utf-8"))
    assert _printed(result.stdout, "its document.json") == folder / "document.json"
    assert folder.parent == workspace / "agency-b" / "exchange" / "000.00.31.H53" / "inbox"
    pdf = [s for s in document["signatures"] if s["kind"] == "pdf"]
    assert [(s["target"], s["status"]) for s in pdf] == [(f"{ITEM}.pdf", "valid")]
    assert (folder / "attachments" / f"{ITEM}.pdf").read_bytes().startswith(b"%PDF-")
    timeline = json.loads(_printed(result.stdout, "receipts timeline").read_text("utf-8"))
    recipient = timeline["recipients"][0]
    assert recipient["organ_id"] == "000.00.31.H53"
    assert [r["code"] for r in recipient["receipts"]] == ["01", "03", "06"]
    assert recipient["progress"] == "06"
    assert "Lê Văn C" in json.dumps(recipient["receipts"][1], ensure_ascii=False)
    assert [line[:5] for line in result.stdout.splitlines() if line.startswith("[")] == [
        f"[{n}/9]" for n in range(1, 10)]
    for agency in ("agency-a", "agency-b"):
        assert _unlocked(workspace / agency / "state" / "journal.sqlite3")


def test_demo_json_summary(tmp_path: Path) -> None:
    """With --json the summary on stdout names the same files (the steps go to stderr)."""
    result = _demo("--dir", str(tmp_path / "demo"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["format"] == 1 and summary["receipts"] == ["01", "03", "06"]
    assert Path(summary["delivered"]["document_json"]).is_file()
    assert Path(summary["receipts_timeline"]).is_file()
    assert "[9/9]" in result.stderr
    assert summary["seconds"] < 60


def test_demo_refuses_a_used_directory_and_reports_a_timeout(tmp_path: Path) -> None:
    """A non-empty --dir is refused (exit 1, nothing written); a step that does not happen in
    time fails the demo (exit 1) with the step named, and the agents are stopped."""
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    refused = _demo("--dir", str(used))
    assert refused.returncode == 1 and "not empty" in refused.stderr
    assert [p.name for p in used.iterdir()] == ["keep.txt"]
    late = _demo("--dir", str(tmp_path / "late"), "--timeout", "0.5")
    assert late.returncode == 1 and "timed out" in late.stderr
    journal = tmp_path / "late" / "agency-a" / "state" / "journal.sqlite3"
    assert not journal.exists() or _unlocked(journal)


def test_demo_keep_running_stops_both_agents_on_sigterm(tmp_path: Path) -> None:
    """--keep-running leaves everything up until a signal; SIGTERM then stops both agents
    (no orphaned daemon holds a journal) and the demo still exits 0."""
    workspace = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    proc = subprocess.Popen([sys.executable, "-m", "agent", "demo", "--dir", str(workspace),
                             "--keep-running"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("Running until Ctrl-C"):
                break
        journal = workspace / "agency-a" / "state" / "journal.sqlite3"
        assert not _unlocked(journal)  # the agent is still running
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    for agency in ("agency-a", "agency-b"):
        assert _unlocked(workspace / agency / "state" / "journal.sqlite3")
