"""Fixtures for the exchange-folder tests: real folders in a temporary directory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from agent.files.layout import ExchangeLayout, OrganFolders

T0 = dt.datetime(2024, 11, 5, 1, 30, tzinfo=dt.UTC)
ORGAN = "000.00.13.H53"


def later(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def layout(tmp_path: Path) -> ExchangeLayout:
    layout = ExchangeLayout(tmp_path / "exchange", {ORGAN: ORGAN, "000.00.31.H53": "ben-cau"})
    layout.ensure()
    return layout


@pytest.fixture
def folders(layout: ExchangeLayout) -> OrganFolders:
    return layout.folders(ORGAN)


def tree(root: Path) -> list[str]:
    """Every path under ``root``, relative, sorted: what a test expects to see on disk."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))
