"""`lienthong-agent config validate | generate | show` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli import EXIT_CONFIG, EXIT_INVALID, EXIT_OK, main
from agent.config import generate_example
from tests.unit.config.test_schema import MINIMAL


def test_validate_accepts_the_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The generated example validates: exit 0 and a 'valid' line."""
    path = tmp_path / "agent.yaml"
    path.write_text(generate_example(), encoding="utf-8")
    assert main(["config", "validate", str(path)]) == EXIT_OK
    assert capsys.readouterr().out.strip() == f"{path}: valid"


def test_validate_prints_every_problem_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An invalid file prints one `At 'path': message` line per problem; exit code 3."""
    monkeypatch.setenv("LIENTHONG_LOGGING__LEVEL", "loud")
    path = tmp_path / "agent.yaml"
    path.write_text(MINIMAL + "polling:\n  edoc_interval_seconds: -1\n", encoding="utf-8")
    assert main(["config", "validate", str(path)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"{path}: 2 problems" in err
    assert "  At 'logging.level' (from LIENTHONG_LOGGING__LEVEL): input should be" in err
    assert "  At 'polling.edoc_interval_seconds': input should be greater than 0" in err
    assert main(["config", "validate", "--no-env", str(path)]) == EXIT_CONFIG
    assert "1 problem" in capsys.readouterr().err


def test_validate_missing_file_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file is a configuration error, exit 3."""
    assert main(["config", "validate", str(tmp_path / "none.yaml")]) == EXIT_CONFIG
    assert "the file does not exist" in capsys.readouterr().err


def test_validate_check_files_uses_credentials_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--check-files with --credentials-dir reports the missing credential and key file."""
    path = tmp_path / "agent.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    args = ["config", "validate", "--check-files", "--credentials-dir", str(tmp_path), str(path)]
    assert main(args) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "At 'axis.secret_credential': systemd credential 'axis-secret'" in err
    assert "At 'signing.key_file': /etc/lienthong-agent/signing/organisation.p12" in err


def test_generate_writes_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """generate -o writes the example once; a second run needs --force."""
    out = tmp_path / "agent.yaml"
    assert main(["config", "generate", "-o", str(out)]) == EXIT_OK
    assert out.read_text(encoding="utf-8") == generate_example()
    assert main(["config", "generate", "-o", str(out)]) == EXIT_INVALID
    assert "--force" in capsys.readouterr().err


def test_show_prints_effective_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """show prints defaults and overrides applied, with references and never secret values."""
    monkeypatch.setenv("LIENTHONG_UPLOAD__CONCURRENCY", "7")
    path = tmp_path / "agent.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert main(["config", "show", str(path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "concurrency: 7" in out and "secret_credential: axis-secret" in out
