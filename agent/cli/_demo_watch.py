"""What the demo watches for: milestones read from each agency's journal (opened beside the
running daemon, as ``status`` does) and from the folders the DMS reads. Each probe returns
what it found, or None to be asked again; a probe that sees the document fail raises
:class:`DemoFailed` with the agent's own reason."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from agent.cli._demo_setup import Agency
from agent.cli.progress import Progress
from agent.core.lifecycle import Kind
from agent.errors import JournalError, LienthongError

T = TypeVar("T")
_PAUSE = 0.1


class DemoFailed(LienthongError):
    code = "demo.failed"


@dataclass(frozen=True)
class Sent:
    claim_id: str
    axis_doc_id: str
    document_id: str


@dataclass(frozen=True)
class Delivered:
    folder: Path
    document_json: Path
    document_id: str
    signatures: list[dict[str, Any]]


def wait_for(
    label: str, probe: Callable[[], T | None], deadline: float,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Ask ``probe`` until it answers (a spinner on a terminal); DemoFailed at ``deadline``."""
    with Progress(label) as bar:
        while True:
            found = probe()
            if found is not None:
                return found
            if clock() >= deadline:
                raise DemoFailed(f"timed out: {label}")
            bar.tick()
            time.sleep(_PAUSE)


def _journal_read(agency: Agency, read: Callable[[Any], T | None]) -> T | None:
    """``read(journal)`` on the agency's journal, None while it does not exist yet."""
    from agent.journal import SqliteJournal

    if not agency.journal.is_file():
        return None
    try:
        journal = SqliteJournal.open(agency.journal, exclusive=False)
    except JournalError:
        return None
    try:
        return read(journal)
    finally:
        journal.close()


def agency_ready(agency: Agency) -> Callable[[], int | None]:
    """The directory is synchronised and the edoc list polled once: the size of the directory."""
    def read(journal: Any) -> int | None:
        summary = journal.summary()
        polled = any(p.name.startswith("edoc") and p.last_success for p in summary.polls)
        return summary.directory_size if polled and summary.directory_synced_at else None

    return lambda: _journal_read(agency, read)


def document_sent(agency: Agency) -> Callable[[], Sent | None]:
    """The outbound document accepted by the axis (DemoFailed if it failed)."""
    def read(journal: Any) -> Sent | None:
        for item in journal.list_items(Kind.OUTBOUND, limit=5):
            if item.state in ("failing", "failed"):
                raise DemoFailed(f"agency {agency.label} could not send the document: "
                                 f"{_reason(item.last_error)}")
            record = journal.outbound(item.id)
            if record is not None and record.axis_doc_id:
                return Sent(record.claim_id, record.axis_doc_id, record.document_id or "")
        return None

    return lambda: _journal_read(agency, read)


def document_delivered(agency: Agency) -> Callable[[], Delivered | None]:
    """The inbound document published in the inbox (DemoFailed if it was quarantined)."""
    def read(journal: Any) -> Delivered | None:
        for item in journal.list_items(Kind.INBOUND, limit=5):
            if item.state in ("quarantined", "rejected"):
                raise DemoFailed(f"agency {agency.label} refused the document: "
                                 f"{_reason(item.last_error)}")
            record = journal.inbound(item.id)
            if record is not None and record.inbox_path:
                return _delivered(Path(record.inbox_path), record.document_id or "")
        return None

    return lambda: _journal_read(agency, read)


def _delivered(folder: Path, document_id: str) -> Delivered | None:
    path = folder / "document.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    signatures = data.get("signatures", []) if isinstance(data, dict) else []
    return Delivered(folder, path, document_id, [s for s in signatures if isinstance(s, dict)])


def receipts_seen(
    timeline: Path, organ: str, codes: Iterable[str]
) -> Callable[[], list[str] | None]:
    """The receipts timeline lists every code of ``codes`` from ``organ``: all codes seen."""
    wanted = set(codes)

    def probe() -> list[str] | None:
        if not timeline.is_file():
            return None
        data = json.loads(timeline.read_text(encoding="utf-8"))
        found = [r["code"] for p in data.get("recipients", []) if p.get("organ_id") == organ
                 for r in p.get("receipts", [])]
        return found if wanted <= set(found) else None

    return probe


def _reason(error: Any) -> str:
    if not error:
        return "no reason recorded"
    message = str(error.get("message", error))
    return f"{message} ({error['hint']})" if error.get("hint") else message
