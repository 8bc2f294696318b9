"""Fixtures for the operator commands: a populated journal, a configuration, the CLI in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agent.cli import main

from .journal_fixture import Items, populate


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``lienthong-agent ARGS`` in-process; return its exit code and output."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


@pytest.fixture
def items(journal_path: Path) -> Items:
    return populate(journal_path)


def write_config(directory: Path, journal: Path, *, base_url: str = "http://127.0.0.1:9",
                 extra: str = "") -> Path:
    """A valid configuration with signatures off, its secret file next to it."""
    (directory / "axis-secret").write_text("sandbox-secret-00.53.W00\n")
    config = directory / "agent.yaml"
    config.write_text(f"""\
axis:
  base_url: {base_url}
  system_id: 00.53.W00
  secret_file: axis-secret
organs:
  - code: 000.00.13.H53
    name: Sở Thông tin và Truyền thông
exchange:
  root: exchange
journal:
  path: {journal}
{extra}""", encoding="utf-8")
    if "signing:" not in extra:
        with config.open("a", encoding="utf-8") as out:
            out.write("signing:\n  pdf_signature: false\n  xml_signature: false\n")
    return config
