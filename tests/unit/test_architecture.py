"""The import direction of STYLE.md holds: cli -> daemon -> services -> ports -> core -> errors.

`agent.core` is pure: it imports no I/O module and never reads the clock or opens files.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "agent"

# Which top-level parts of `agent` each part may import (itself always allowed).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "core": {"errors"},
    "signing": {"core", "errors"},
    "axis": {"core", "errors"},
    "journal": {"core", "errors"},
    "files": {"core", "errors"},
    "config": {"core", "errors"},
    "observability": {"core", "errors"},
    "sandbox": {"core", "errors", "observability"},
    "doctor": {
        "core", "errors", "signing", "axis", "journal", "files", "config", "services", "daemon",
    },
    "services": {
        "core", "errors", "signing", "axis", "journal", "files", "config", "observability",
    },
    "daemon": {
        "core", "errors", "signing", "axis", "journal", "files", "config", "observability",
        "services",
    },
    "cli": {
        "core", "errors", "signing", "axis", "journal", "files", "config", "observability",
        "services", "daemon", "sandbox", "doctor",
    },
}

IO_MODULES = {
    "os", "sys", "socket", "sqlite3", "subprocess", "time", "logging", "structlog", "httpx",
    "shutil", "tempfile", "threading", "asyncio", "signal", "urllib", "http", "selectors",
    "multiprocessing", "pathlib", "glob", "uvicorn", "watchdog", "apscheduler",
}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic"}


def _part(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py")


def _agent_imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _sources() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if p.name != "__main__.py")


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_inwards(path: Path) -> None:
    """No module imports a part of `agent` that sits further out than itself."""
    part = _part(path)
    if part == "__init__":
        return
    allowed = ALLOWED[part] | {part}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [
        f"line {line}: {mod}"
        for line, mod in _agent_imports(tree)
        if mod.startswith("agent.") and mod.split(".")[1] not in allowed
    ]
    assert bad == []


CORE = sorted((ROOT / "core").rglob("*.py"))


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_is_pure(path: Path) -> None:
    """`agent.core` imports no I/O module, reads no clock and opens no file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = [
        f"line {line}: imports {mod}"
        for line, mod in _agent_imports(tree)
        if mod.split(".")[0] in IO_MODULES
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr in CLOCK_CALLS:
                problems.append(f"line {node.lineno}: calls .{f.attr}()")
            if isinstance(f, ast.Name) and f.id == "open":
                problems.append(f"line {node.lineno}: calls open()")
    assert problems == []


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    """The checker itself works: an I/O import and a clock read are reported."""
    tree = ast.parse("import os\nimport datetime\nx = datetime.datetime.now()\n")
    mods = [m for _, m in _agent_imports(tree) if m.split(".")[0] in IO_MODULES]
    calls = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        and n.func.attr in CLOCK_CALLS
    ]
    assert mods == ["os"] and len(calls) == 1
