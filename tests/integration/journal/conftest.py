"""Fixtures for the journal tests: a real SQLite journal in a temporary directory, a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.journal import DocumentFacts, SqliteJournal

T0 = dt.datetime(2024, 11, 5, 1, 30, tzinfo=dt.UTC)
SENDER = "000.00.13.H53"
DISTRICT, COMMUNE = "000.00.31.H53", "000.22.31.H53"


def later(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def facts(document_id: str = "000.00.13.H53,2024/11/05,412/STTTT-VP", **changes: object
          ) -> DocumentFacts:
    values: dict[str, object] = {
        "document_id": document_id, "sender_id": SENDER, "recipients": (DISTRICT, COMMUNE),
        "code": "412/STTTT-VP", "subject": "V/v đôn đốc kết nối",
    }
    values.update(changes)
    return DocumentFacts(**values)  # type: ignore[arg-type]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite"


@pytest.fixture
def journal(path: Path) -> Iterator[SqliteJournal]:
    j = SqliteJournal.open(path)
    yield j
    j.close()
