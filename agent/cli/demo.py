"""``lienthong-agent demo``: the whole exchange on one machine, in under a minute.

An embedded sandbox plays the national axis; two agents (``lienthong-agent run``, as systemd
runs it) serve two agencies. Agency A's document system drops a document with a one-page PDF
into A's outbox; A signs the PDF (PAdES) and the package and sends it; B receives it, verifies
the signatures, publishes it in its inbox and sends 01 automatically; B's document system then
drops 03 and 06 into its status-out folder, and A's receipts timeline shows 01, 03 and 06.

Only Python and this package are needed: development keys are made on the spot, the network
is 127.0.0.1 only. The workspace is kept (``--dir``, or a temporary directory) with the
delivered document, the receipts timeline, both journals and both agents' logs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from agent.cli import EXIT_INVALID, EXIT_OK
from agent.cli._demo_setup import ITEM, Agency, Workspace, agencies, prepare
from agent.cli._demo_watch import (
    Delivered,
    DemoFailed,
    Sent,
    agency_ready,
    document_delivered,
    document_sent,
    receipts_seen,
    wait_for,
)

T = TypeVar("T")
STEPS = 9
_STOP_SECONDS = 15.0
_STATUS_UPDATES = (
    ("03", "Đã vào sổ văn bản đến số 1520"),
    ("06", "Đã hoàn thành xử lý"),
)


def register(subparsers: Any) -> None:
    """Add ``demo`` to the top-level parser."""
    parser = subparsers.add_parser(
        "demo",
        help="run the whole exchange locally: sandbox axis, two agencies, a signed document"
        " and its receipts",
        description="Start an embedded sandbox of the national axis and two agents (two"
        " agencies), send a sample document with a PDF carrying the organisation's PAdES"
        " signature from A to B, and its receipts back (01 automatically, then 03 and 06"
        " dropped by B's document system), printing each step. Needs nothing but this package:"
        " development keys, 127.0.0.1 only. Everything is kept in the directory (--dir, or a"
        " new temporary one): the delivered document, the receipts timeline, the journals and"
        " the agents' logs. Exit 0 when every step happened, 1 otherwise.",
        epilog="afterwards: lienthong-agent show out:1 --journal"
        " DIR/agency-a/state/journal.sqlite3",
    )
    parser.add_argument("--dir", type=Path, metavar="DIR",
                        help="workspace, created if missing; must be empty (default: a new"
                        " temporary directory, kept)")
    parser.add_argument("--timeout", type=float, default=90.0, metavar="SECONDS",
                        help="give up after this long (default 90)")
    parser.add_argument("--keep-running", action="store_true",
                        help="leave the sandbox and both agents running until Ctrl-C, to drop"
                        " more documents into the folders")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON summary on stdout (the steps go to stderr)")
    parser.set_defaults(func=run)


class Story:
    """Numbered steps on a stream (stdout, or stderr under --json)."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.number = 0

    def step(self, text: str) -> None:
        self.number += 1
        print(f"[{self.number}/{STEPS}] {text}", file=self.out, flush=True)

    def detail(self, text: str) -> None:
        print(f"      {text}", file=self.out, flush=True)


def run(args: argparse.Namespace) -> int:
    root = _workspace_dir(args.dir)
    if root is None:
        return EXIT_INVALID
    story = Story(sys.stderr if args.json else sys.stdout)
    story.out.write(f"lienthong-agent demo in {root}\n")
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _terminated)  # stop the agents on SIGTERM too, not only Ctrl-C
    try:
        summary = _play(root, story, started + args.timeout, args.keep_running)
    except DemoFailed as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        print(f"the workspace is kept for inspection: {root}", file=sys.stderr)
        return EXIT_INVALID
    summary["seconds"] = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps({"format": 1, **summary}, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
    return EXIT_OK


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds through the context managers that stop the agents


def _workspace_dir(given: Path | None) -> Path | None:
    if given is None:
        return Path(tempfile.mkdtemp(prefix="lienthong-demo-"))
    if given.exists() and any(given.iterdir()):
        print(f"lienthong-agent: demo: {given} is not empty; give a new or empty directory",
              file=sys.stderr)
        return None
    given.mkdir(parents=True, exist_ok=True)
    return given.resolve()


def _play(root: Path, story: Story, deadline: float, keep_running: bool) -> dict[str, Any]:
    from agent.sandbox import SandboxServer

    pair = agencies(root)
    story.step("The axis: an embedded sandbox on 127.0.0.1, one system per agency")
    with SandboxServer(_sandbox_config(root, pair)) as axis:
        story.detail(f"{axis.url}  (systems {pair[0].system_id} and {pair[1].system_id})")
        story.step("Development PKI: a root CA and each organisation's signing key (keys generate)")
        space = prepare(pair, axis.url, dt.datetime.now(dt.UTC))
        story.detail(f"{space.keys}  (development only)")
        with _daemons(space.agencies) as alive:
            summary = _exchange(space, story, _guarded(alive, deadline))
            if keep_running:
                _linger(space, story)
    return summary


def _sandbox_config(root: Path, pair: tuple[Agency, Agency]) -> Any:
    from agent.sandbox import OrganSpec, Registry, SandboxConfig, SystemSpec

    registry = Registry(
        systems=tuple(SystemSpec(a.system_id, a.secret, a.name) for a in pair),
        organs=tuple(OrganSpec(a.organ, a.system_id, name=a.name) for a in pair))
    return SandboxConfig(data_dir=root / "axis", registry=registry)


Guard = Callable[[str, Callable[[], T | None]], T]


def _guarded(alive: Callable[[], None], deadline: float) -> Guard[Any]:
    """wait_for, also failing at once when an agent has stopped."""
    def guard(label: str, probe: Callable[[], Any]) -> Any:
        def checked() -> Any:
            alive()
            return probe()
        return wait_for(label, checked, deadline)
    return guard


def _exchange(space: Workspace, story: Story, wait: Guard[Any]) -> dict[str, Any]:
    a, b = space.agencies
    story.step("Two agents started (lienthong-agent run --config agency-?/agent.yaml)")
    for agency in (a, b):
        size = wait(f"agent {agency.label} starting", agency_ready(agency))
        story.detail(f"{agency.label}: {agency.name} ({agency.organ}); directory of {size}"
                     f" organs synchronised; log {agency.log}")
    story.step(f"A's document system drops outbox/{ITEM}/ (metadata.yaml + {ITEM}.pdf)")
    _drop_document(space)
    sent: Sent = wait("A validating, signing and sending", document_sent(a))
    story.step("A signed the PDF (PAdES) and the package, and the axis accepted it")
    story.detail(f"DocumentId {sent.document_id}; axis DocId {sent.axis_doc_id}")
    delivered: Delivered = wait("B receiving and verifying", document_delivered(b))
    story.step("B received it, verified its signatures and published it in its inbox")
    story.detail(str(delivered.folder))
    _check_signatures(delivered, story)
    timeline = a.folders / "receipts" / f"{sent.claim_id}.json"
    wait("01 travelling back to A", receipts_seen(timeline, b.organ, ["01"]))
    story.step("B sent 01 (Đã đến) by itself; A's receipts timeline shows it")
    codes = ["01"]
    for code, description in _STATUS_UPDATES:
        _drop_status(b, delivered.document_id, code, description)
        codes.append(code)
        wait(f"{code} travelling back to A", receipts_seen(timeline, b.organ, codes))
        story.step(f"B's document system dropped {code} in status-out/; A's timeline shows"
                   f" {', '.join(codes)}")
    return _summary(space, sent, delivered, timeline, codes)


def _drop_document(space: Workspace) -> None:
    """Write the item under a hidden name, then rename it into the outbox (the contract)."""
    import shutil

    outbox = space.sender.folders / "outbox"
    hidden = outbox / f".{ITEM}"
    shutil.copytree(space.sample, hidden)
    hidden.rename(outbox / ITEM)


def _drop_status(agency: Agency, document_id: str, code: str, description: str) -> None:
    update = {"document_id": document_id, "code": code, "description": description,
              "staff": {"name": "Lê Văn C", "department": "Văn phòng UBND huyện"},
              "time": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")}
    folder = agency.folders / "status-out"
    hidden = folder / f".{code}-{ITEM}.json"
    hidden.write_text(json.dumps(update, ensure_ascii=False, indent=2), encoding="utf-8")
    hidden.rename(folder / f"{code}-{ITEM}.json")


def _check_signatures(delivered: Delivered, story: Story) -> None:
    pdf = [s for s in delivered.signatures if str(s.get("kind", "")).lower().startswith("pdf")]
    for verdict in delivered.signatures:
        signer = verdict.get("signer_subject") or ""
        story.detail(f"{verdict.get('kind')} signature on {verdict.get('target')}:"
                     f" {verdict.get('status')} {signer}".rstrip())
    if not any(s.get("status") == "valid" for s in pdf):
        raise DemoFailed(f"no valid PDF signature in {delivered.document_json}")


@contextmanager
def _daemons(pair: tuple[Agency, Agency]) -> Iterator[Callable[[], None]]:
    """Both agents as subprocesses; yields a check that fails when one has stopped."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LIENTHONG_", "NOTIFY_SOCKET", "CREDENTIALS_DIRECTORY"))}
    procs: list[tuple[Agency, subprocess.Popen[bytes]]] = []
    try:
        for agency in pair:
            with agency.log.open("wb") as log:
                procs.append((agency, subprocess.Popen(
                    [sys.executable, "-m", "agent", "run", "--config", str(agency.config)],
                    cwd=agency.home, env=env, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT)))

        def alive() -> None:
            for agency, proc in procs:
                if proc.poll() is not None:
                    raise DemoFailed(f"agent {agency.label} stopped (exit {proc.returncode}):"
                                     f" {_log_tail(agency.log)}")
        yield alive
    finally:
        _stop(procs)


def _stop(procs: list[tuple[Agency, subprocess.Popen[bytes]]]) -> None:
    for _, proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for _, proc in procs:
        try:
            proc.wait(_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _log_tail(log: Path, lines: int = 5) -> str:
    try:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return "(no log)"
    return " | ".join(tail) or "(empty log)"


def _linger(space: Workspace, story: Story) -> None:
    try:
        print(f"\nRunning until Ctrl-C. Drop documents into {space.sender.folders / 'outbox'}",
              file=story.out, flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("stopping", file=story.out)


def _summary(
    space: Workspace, sent: Sent, delivered: Delivered, timeline: Path, codes: list[str]
) -> dict[str, Any]:
    a, b = space.agencies
    return {
        "dir": str(space.root),
        "document_id": sent.document_id,
        "axis_doc_id": sent.axis_doc_id,
        "delivered": {"folder": str(delivered.folder),
                      "document_json": str(delivered.document_json),
                      "signatures": delivered.signatures},
        "receipts_timeline": str(timeline),
        "receipts": codes,
        "agencies": {agency.label: {"organ": agency.organ, "config": str(agency.config),
                                    "journal": str(agency.journal), "log": str(agency.log),
                                    "exchange": str(agency.folders)} for agency in (a, b)},
    }


def _print_summary(summary: dict[str, Any]) -> None:
    a = summary["agencies"]["A"]
    print(f"\nDone in {summary['seconds']} s. Everything is kept in {summary['dir']}:")
    print(f"  delivered document (B's inbox): {summary['delivered']['folder']}")
    print(f"  its document.json:              {summary['delivered']['document_json']}")
    print(f"  receipts timeline (A):          {summary['receipts_timeline']}")
    print(f"  journals and logs:              {summary['dir']}/agency-a, agency-b")
    print(f"Look closer: lienthong-agent show out:1 --journal {a['journal']}")
