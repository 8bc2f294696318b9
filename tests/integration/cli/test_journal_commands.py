"""``status``, ``list``, ``show`` and ``retry`` against a real SQLite journal with one item in
each interesting state, run in-process as the operator would run them."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from agent.cli import EXIT_INVALID, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from agent.core.lifecycle import Kind
from agent.errors import JournalError
from agent.journal import DocumentFacts, SqliteJournal
from agent.signing.report import SignatureReport, SignatureStatus

from .conftest import Run, write_config
from .journal_fixture import DISTRICT, Items, at


def test_status_json_counts_queues_failures_and_polls(
    cli: Run, items: Items, journal_path: Path
) -> None:
    """The JSON summary counts pending, retrying and failed items per kind, dates the oldest
    pending item, and lists the polls and the recent failures."""
    result = cli("status", "--journal", str(journal_path), "--json")
    assert result.code == EXIT_OK
    report = result.json()
    assert report["format"] == 1
    out = report["queues"]["outbound"]
    assert (out["pending"], out["retrying"], out["failed"], out["total"]) == (1, 1, 2, 4)
    assert out["states"] == {"archived": 1, "failed": 2, "retry-wait": 1}
    assert out["oldest_pending"]["created_at"] == at(20).isoformat()
    assert report["queues"]["inbound"]["failed"] == 1
    polls = {p["name"]: p for p in report["polls"]}
    assert polls["edoc:000.00.13.H53"]["last_success"] == at(100).isoformat()
    assert polls["status:000.00.13.H53"]["last_error"]["message"] == "refused"
    assert {f["ref"] for f in report["failures"]} == {"out:2", "out:3", "in:2", "receipt-out:2"}
    assert report["directory"] == {"size": 0, "synced_at": None, "age_seconds": None}


def test_status_text_is_readable(cli: Run, items: Items, journal_path: Path) -> None:
    """The human view has the queue table, the states, the polls and the failures."""
    result = cli("status", "--journal", str(journal_path))
    assert result.code == EXIT_OK
    assert "QUEUE" in result.out and "OLDEST PENDING" in result.out
    assert "outbound     archived 1, failed 2, retry-wait 1" in result.out
    assert "edoc:000.00.13.H53" in result.out
    assert "never synchronised" in result.out
    assert "out:2" in result.out and "ErrorCode 18" in result.out


def test_commands_work_while_the_daemon_holds_the_journal(
    cli: Run, items: Items, journal_path: Path
) -> None:
    """With the daemon's exclusive lock held, status, show and retry still work."""
    daemon = SqliteJournal.open(journal_path)  # exclusive, as `run` opens it
    try:
        assert cli("status", "--journal", str(journal_path)).code == EXIT_OK
        assert cli("show", "out:1", "--journal", str(journal_path)).code == EXIT_OK
        assert cli("retry", f"out:{items.failed}", "--journal", str(journal_path)).code == 0
        record = daemon.outbound(items.failed)
        assert record is not None and record.state.value == "retry-wait"
    finally:
        daemon.close()


def test_a_missing_journal_is_reported_and_not_created(cli: Run, tmp_path: Path) -> None:
    """No journal: exit 4 with the path, and no empty journal is left behind."""
    missing = tmp_path / "nowhere" / "journal.sqlite3"
    result = cli("status", "--journal", str(missing))
    assert result.code == EXIT_UNAVAILABLE
    assert str(missing) in result.err
    assert not missing.exists() and not missing.parent.exists()


def test_the_journal_is_found_through_the_configuration(
    cli: Run, items: Items, journal_path: Path, tmp_path: Path
) -> None:
    """--config reads journal.path; show then also names the receipts timeline file, once it
    exists."""
    config = write_config(tmp_path, journal_path)
    args = ("show", f"out:{items.sent}", "--config", str(config), "--json")
    assert cli(*args).json()["receipts_file"] is None
    timeline = tmp_path / "exchange" / "000.00.13.H53" / "receipts" / "20241105-0130-412.json"
    timeline.parent.mkdir(parents=True)
    timeline.write_text("{}")
    result = cli(*args)
    assert result.code == EXIT_OK
    assert result.json()["receipts_file"] == str(timeline)


def test_list_shows_documents_both_ways_newest_first(
    cli: Run, items: Items, journal_path: Path
) -> None:
    """By default documents sent and received, most recently changed first, with their
    số/ký hiệu and the other side."""
    rows = cli("list", "--journal", str(journal_path), "--json").json()["items"]
    assert [r["ref"] for r in rows] == ["in:2", "in:1", "out:4", "out:3", "out:2", "out:1"]
    received = rows[1]
    assert (received["code"], received["peers"], received["direction"]) == (
        "77/UBND-VP", [DISTRICT], "in")
    assert rows[-1]["peers"] == [DISTRICT, "000.22.31.H53"]


@pytest.mark.parametrize(("args", "refs"), [
    (("--direction", "out", "--state", "failed"), ["out:3", "out:2"]),
    (("--state", "failed"), ["in:2", "out:3", "out:2"]),
    (("--kind", "receipt-out", "--state", "pending"), ["receipt-out:1"]),
    (("--kind", "receipt-in"), ["receipt-in:3", "receipt-in:2", "receipt-in:1"]),
    (("--state", "retry-wait", "--state", "acked"), ["in:1", "out:4"]),
    (("--organ", "000.00.31.H53"), []),
    (("--limit", "2"), ["in:2", "in:1"]),
])
def test_list_filters(
    cli: Run, items: Items, journal_path: Path, args: tuple[str, ...], refs: list[str]
) -> None:
    """Direction, kind, state (and the groups pending / failed), organ and limit filter."""
    result = cli("list", "--journal", str(journal_path), "--json", *args)
    assert result.code == EXIT_OK
    assert [r["ref"] for r in result.json()["items"]] == refs


def test_list_refuses_an_unknown_state(cli: Run, items: Items, journal_path: Path) -> None:
    """A misspelt state is a usage error, not an empty list."""
    result = cli("list", "--journal", str(journal_path), "--state", "faild")
    assert result.code == EXIT_USAGE and "faild" in result.err


def test_list_refuses_filters_that_select_no_kind(
    cli: Run, items: Items, journal_path: Path
) -> None:
    """--direction in with --kind outbound can match nothing: a usage error, not silence."""
    result = cli("list", "--journal", str(journal_path), "--direction", "in", "--kind", "outbound")
    assert result.code == EXIT_USAGE and "no kind" in result.err


def test_show_a_sent_document_with_its_receipts(
    cli: Run, items: Items, journal_path: Path
) -> None:
    """show --json has the facts, each recipient's progress and every receipt with its
    meaning, time and staff, and the whole timeline."""
    view = cli("show", f"out:{items.sent}", "--journal", str(journal_path), "--json").json()
    assert (view["code"], view["state"], view["axis_doc_id"]) == (
        "412/STTTT-VP", "archived", "68edb8c8c2dcb14db773ce44")
    district = next(r for r in view["recipients"] if r["organ_id"] == DISTRICT)
    assert (district["delivery"], district["progress"], district["progress_meaning"]) == (
        "delivered", "06", "Hoàn thành")
    assert [(r["code"], r["meaning"]) for r in view["receipts"]] == [
        ("01", "Đã đến"), ("03", "Đã tiếp nhận"), ("06", "Hoàn thành")]
    assert view["receipts"][1]["staff"] == {"name": "Trần Thị B", "department": "Văn thư"}
    assert view["receipts"][1]["status_time"] == "2024-11-05T09:01:00+07:00"
    events = [e["event"] for e in view["timeline"]]
    assert events[:5] == ["picked-up", "validation-passed", "package-signed", "upload-started",
                          "axis-accepted"]


def test_show_text_of_a_sent_document(cli: Run, items: Items, journal_path: Path) -> None:
    """The text view has the facts, the recipients and the receipts with staff."""
    out = cli("show", f"out:{items.sent}", "--journal", str(journal_path)).out
    assert "Số/ký hiệu:    412/STTTT-VP" in out
    assert "06 Hoàn thành" in out and "Trần Thị B (Văn thư)" in out
    assert "Recipients:" in out and "Timeline:" in out


def test_show_a_received_document_with_the_receipts_sent(
    cli: Run, items: Items, journal_path: Path
) -> None:
    """A received document shows its inbox folder and the automatic 01 sent for it."""
    view = cli("show", f"in:{items.received}", "--journal", str(journal_path), "--json").json()
    assert view["inbox_path"] == "/srv/lienthong/inbox/77-UBND-VP"
    assert [(r["code"], r["ref"]) for r in view["receipts_sent"]] == [("01", "receipt-out:1")]
    assert view["sender_id"] == DISTRICT


def test_show_an_unknown_item(cli: Run, items: Items, journal_path: Path) -> None:
    """An id the journal does not have: exit 1 with the ref."""
    result = cli("show", "out:99", "--journal", str(journal_path))
    assert result.code == EXIT_INVALID and "out:99" in result.err


@pytest.mark.parametrize("bad", ["7", "out:", "doc:3", "out:x"])
def test_a_bad_ref_is_a_usage_error(cli: Run, bad: str) -> None:
    """A ref without a kind or a number is refused by the parser (exit 2)."""
    with pytest.raises(SystemExit) as stop:
        cli("show", bad, "--journal", "unused")
    assert stop.value.code == EXIT_USAGE


def test_retry_requeues_a_failed_send(cli: Run, items: Items, journal_path: Path) -> None:
    """A failed document with kept bytes goes back to retry-wait (same bytes); one that failed
    before signing starts again from validation; a failed receipt is queued again."""
    j = ("--journal", str(journal_path))
    assert "retry-wait" in cli("retry", f"out:{items.failed}", *j).out
    assert cli("retry", f"out:{items.failed_unsigned}", *j, "--json").json()["state"] == (
        "picked-up")
    assert cli("retry", f"receipt-out:{items.receipt_failed}", *j).code == EXIT_OK
    journal = SqliteJournal.open(journal_path, exclusive=False)
    try:
        signed, unsigned = journal.outbound(items.failed), journal.outbound(items.failed_unsigned)
        receipt = journal.receipt_out(items.receipt_failed)
    finally:
        journal.close()
    assert signed is not None and (signed.state.value, signed.attempts) == ("retry-wait", 0)
    assert unsigned is not None and unsigned.state.value == "picked-up"
    assert receipt is not None and receipt.state.value == "queued"


@pytest.mark.parametrize(("item", "reason"), [
    ("out:1", "'archived', not 'failed'"),
    ("out:4", "still in progress"),
    ("in:2", "only sends can be retried"),
    ("receipt-in:1", "only sends can be retried"),
    ("out:99", "no such item"),
])
def test_retry_refuses_what_is_not_a_failed_send(
    cli: Run, items: Items, journal_path: Path, item: str, reason: str
) -> None:
    """retry changes nothing and says why for an item that is not a failed send."""
    before = cli("list", "--journal", str(journal_path), "--json").out
    result = cli("retry", item, "--journal", str(journal_path))
    assert result.code == EXIT_INVALID and reason in result.err
    assert cli("list", "--journal", str(journal_path), "--json").out == before


def test_status_tells_whether_the_agent_is_running(
    cli: Run, items: Items, journal_path: Path
) -> None:
    """Nobody holds the journal's lock: not running. With the lock held as the daemon holds it:
    running, with the holder's pid. The probe leaves the lock to its holder."""
    idle = cli("status", "--journal", str(journal_path), "--json").json()["agent"]
    assert (idle["running"], idle["pid"]) == (False, None)
    assert "Agent: not running" in cli("status", "--journal", str(journal_path)).out
    daemon = SqliteJournal.open(journal_path)  # exclusive, as `run` opens it
    try:
        busy = cli("status", "--journal", str(journal_path), "--json").json()["agent"]
        text = cli("status", "--journal", str(journal_path)).out
        with pytest.raises(JournalError, match="another lienthong-agent"):
            SqliteJournal.open(journal_path)  # the probe did not take the lock away
    finally:
        daemon.close()
    assert (busy["running"], busy["pid"]) == (True, os.getpid())
    assert f"Agent: running (pid {os.getpid()})" in text


def test_show_a_received_document_with_its_signature_verdicts(
    cli: Run, tmp_path: Path, journal_path: Path
) -> None:
    """The verdict of each signature, read from document.json in the inbox folder, is in show's
    JSON and text; when the folder is gone, show says the verdicts are unknown."""
    folder = tmp_path / "inbox" / "77-UBND-VP__68ed"
    folder.mkdir(parents=True)
    signed = dt.datetime(2024, 11, 4, 8, 0, tzinfo=dt.UTC)
    reports = [
        SignatureReport("xml", "package", SignatureStatus.VALID, "CN=UBND huyện Bến Cầu", signed),
        SignatureReport("pdf", "77-UBND-VP.pdf", SignatureStatus.UNTRUSTED, "CN=Someone"),
    ]
    (folder / "document.json").write_text(json.dumps(
        {"format": 1, "signatures": [r.to_dict() for r in reports]}), encoding="utf-8")
    journal = SqliteJournal.open(journal_path)
    try:
        listed = journal.record_listed(Kind.INBOUND, DISTRICT, "68ed", at(0))
        journal.record_fetched(Kind.INBOUND, listed.id, "/spool/x", "11" * 32, at(1))
        journal.record_verified(listed.id, DocumentFacts(
            document_id="000.00.31.H53,2024/11/04,77/UBND-VP", sender_id=DISTRICT,
            recipients=("000.00.13.H53",)), at(2))
        journal.record_delivered(listed.id, str(folder), None, at(3))
    finally:
        journal.close()
    args = ("show", f"in:{listed.id}", "--journal", str(journal_path))
    view = cli(*args, "--json").json()
    assert [(s["kind"], s["target"], s["status"], s["signer"]) for s in view["signatures"]] == [
        ("xml", "package", "valid", "CN=UBND huyện Bến Cầu"),
        ("pdf", "77-UBND-VP.pdf", "untrusted", "CN=Someone")]
    assert view["signatures"][0]["signing_time"] == signed.isoformat()
    text = cli(*args).out
    assert "Signatures:" in text and "untrusted" in text and "CN=UBND huyện Bến Cầu" in text
    (folder / "document.json").unlink()  # the document system took the folder's content
    assert cli(*args, "--json").json()["signatures"] is None
    assert "Signatures: unknown" in cli(*args).out
