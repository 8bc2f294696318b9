"""Fixtures of the reliability suite, and its figures.

Every test here records what it did (documents, kills, injected faults, lost, duplicated...) with
the ``figures`` fixture: one line is printed at once (visible with ``-s``), all lines again in
the terminal summary, and all figures go to ``tests/reliability/results/figures.json`` (or
``$LIENTHONG_RELIABILITY_JSON``) at the end of the session. The runs are seeded:
``LIENTHONG_RELIABILITY_SEED`` (default below) replays the same random choices.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SEED = int(os.environ.get("LIENTHONG_RELIABILITY_SEED", "20261124"))
RESULTS: list[dict[str, Any]] = []
DEFAULT_JSON = Path(__file__).parent / "results" / "figures.json"

Record = Callable[[str, str, dict[str, Any]], None]


@pytest.fixture
def figures(request: pytest.FixtureRequest, record_property: Callable[[str, Any], None]
            ) -> Record:
    """``figures(title, line, data)``: print the summary line now, keep it for the terminal
    summary and the JSON file, and attach the data to the JUnit report."""

    def record(title: str, line: str, data: dict[str, Any]) -> None:
        print(f"\n[reliability] {line}")
        RESULTS.append({"test": request.node.nodeid, "title": title, "line": line,
                        "seed": SEED, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **data})
        for key, value in data.items():
            record_property(key, value)

    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    terminalreporter.write_sep("-", "reliability figures")
    for result in RESULTS:
        terminalreporter.write_line(f"{result['line']}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not RESULTS:
        return
    path = Path(os.environ.get("LIENTHONG_RELIABILITY_JSON", DEFAULT_JSON))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(RESULTS, indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")
