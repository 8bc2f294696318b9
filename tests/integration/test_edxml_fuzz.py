"""The parser survives coverage-guided fuzzing: only LienthongError subclasses may escape.

Runs tests/fuzz/fuzz_edxml_parser.py (atheris) as a subprocess for ``LIENTHONG_FUZZ_SECONDS``
(default 60) from a seed corpus of the example and built packages.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests" / "fuzz" / "fuzz_edxml_parser.py"
SECONDS = int(os.environ.get("LIENTHONG_FUZZ_SECONDS", "60"))

pytest.importorskip("atheris")
pytestmark = pytest.mark.slow


def _fuzz(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
          timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HARNESS), "-rss_limit_mb=2048", "-timeout=30",
         f"-artifact_prefix={tmp_path}/", *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def test_parser_survives_fuzzing(tmp_path: Path) -> None:
    """No input makes the parser (or validation, names, ZIP, rebuild) raise anything but a
    LienthongError, and build(parse(x)) keeps the header."""
    corpus = tmp_path / "corpus"
    subprocess.run([sys.executable, str(HARNESS), "--write-seeds", str(corpus)], check=True,
                   cwd=REPO, timeout=60)
    result = _fuzz(tmp_path, f"-max_total_time={SECONDS}", str(corpus), timeout=SECONDS + 120)
    done = re.search(r"Done (\d+) runs", result.stderr)
    assert (0, True) == (result.returncode, done is not None and int(done.group(1)) > 100), (
        result.stdout[-4000:] + result.stderr[-4000:])


def test_harness_reports_a_foreign_exception(tmp_path: Path) -> None:
    """The harness is not blind: a planted RuntimeError makes it exit non-zero."""
    planted = tmp_path / "planted.edxml"
    planted.write_bytes(b"<edXML>LIENTHONG-FUZZ-SELFTEST</edXML>")
    result = _fuzz(tmp_path, str(planted), env={"LIENTHONG_FUZZ_SELFTEST": "1"}, timeout=120)
    # atheris prints the Python traceback on stdout, libFuzzer's summary on stderr
    assert (True, True) == (result.returncode != 0, "self-test" in result.stdout + result.stderr)
