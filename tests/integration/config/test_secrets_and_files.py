"""Secrets are read by reference (file or $CREDENTIALS_DIRECTORY); referenced files are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import (
    SecretRef,
    check_files,
    load_config,
    read_password,
    read_secret,
)
from agent.errors import ConfigError
from tests.unit.config.test_schema import MINIMAL


def test_secret_from_credentials_directory(tmp_path: Path) -> None:
    """A credential name is read from $CREDENTIALS_DIRECTORY/<name>, trailing newline dropped."""
    (tmp_path / "axis-secret").write_bytes(b"s3cr3t-key\n")
    env = {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    secret = read_secret(SecretRef(credential="axis-secret"), env)
    assert secret.reveal_text() == "s3cr3t-key"


def test_binary_secret_is_kept_byte_for_byte(tmp_path: Path) -> None:
    """A key read with text=False keeps every byte, trailing newline included."""
    (tmp_path / "key.p12").write_bytes(b"\x30\x82\x00\n")
    secret = read_secret(SecretRef(file=tmp_path / "key.p12"), {}, text=False)
    assert secret.reveal() == b"\x30\x82\x00\n"


def test_credential_outside_systemd_says_how_to_fix(tmp_path: Path) -> None:
    """Without $CREDENTIALS_DIRECTORY the error names the credential and the LoadCredential fix."""
    with pytest.raises(ConfigError) as caught:
        read_secret(SecretRef(credential="axis-secret"), {})
    assert "systemd credential 'axis-secret'" in caught.value.message
    assert "LoadCredential=axis-secret" in str(caught.value.hint)


def test_missing_secret_file_names_the_path_not_content(tmp_path: Path) -> None:
    """A missing secret file is reported with its path."""
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError) as caught:
        read_secret(SecretRef(file=missing), {})
    assert str(missing) in caught.value.message and "does not exist" in caught.value.message


def test_check_files_reports_missing_files_and_credentials(tmp_path: Path) -> None:
    """--check-files finds a missing key file, trust anchor and credential, each at its path."""
    config_file = tmp_path / "agent.yaml"
    config_file.write_text(
        MINIMAL.replace("/etc/lienthong-agent/signing/organisation.p12", "org.p12")
        + "verification:\n  trust_anchors: [root.pem]\n",
        encoding="utf-8",
    )
    config = load_config(config_file, environ={})
    env = {"CREDENTIALS_DIRECTORY": str(tmp_path / "creds")}
    paths = {p.path for p in check_files(config, env)}
    assert paths == {"signing.key_file", "verification.trust_anchors", "axis.secret_credential"}
    (tmp_path / "org.p12").write_bytes(b"k")
    (tmp_path / "root.pem").write_bytes(b"c")
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "axis-secret").write_bytes(b"s")
    assert check_files(config, env) == []


def test_empty_secret_is_an_error_but_an_empty_password_means_none(tmp_path: Path) -> None:
    """An empty axis secret is refused; an empty key-password file means 'no password'."""
    (tmp_path / "empty").write_bytes(b"\n")
    ref = SecretRef(file=tmp_path / "empty")
    with pytest.raises(ConfigError, match="is empty"):
        read_secret(ref, {})
    assert read_password(ref, {}) is None and read_password(None, {}) is None
    (tmp_path / "pw").write_bytes(b"p@ss\n")
    password = read_password(SecretRef(file=tmp_path / "pw"), {})
    assert password is not None and password.reveal() == b"p@ss"


def test_secret_is_the_core_secret_type(tmp_path: Path) -> None:
    """What read_secret returns is accepted wherever agent.core.xroad.Secret is expected."""
    from agent.core.xroad import Secret as CoreSecret

    (tmp_path / "s").write_bytes(b"s3cr3t")
    secret = read_secret(SecretRef(file=tmp_path / "s"), {})
    assert isinstance(secret, CoreSecret) and "s3cr3t" not in f"{secret} {secret!r} {secret:>20}"
