"""The systemd unit verifies, is hardened, and agrees with the configuration's defaults."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

from agent.config import load_config_text
from agent.config.example import generate_example
from agent.config.paths import DEFAULT_CONFIG_FILE
from agent.config.schema import ExchangeSection, ShutdownSection
from tests.conftest import require_tool

SYSTEMD = Path(__file__).resolve().parents[2] / "systemd"
UNIT = SYSTEMD / "lienthong-agent.service"
SYSUSERS = SYSTEMD / "sysusers.d" / "lienthong-agent.conf"
TMPFILES = SYSTEMD / "tmpfiles.d" / "lienthong-agent.conf"
INSTALLED_BINARY = "/opt/lienthong-agent/bin/lienthong-agent"


def settings() -> dict[str, list[str]]:
    """The unit's Key=value settings, every value of repeated keys kept in order."""
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _seconds(value: str) -> float:
    return float(value.removesuffix("s"))


def verifiable_copy(tmp_path: Path, text: str | None = None) -> Path:
    """The unit with ExecStart pointing at an existing executable (verify checks it exists)."""
    unit = tmp_path / "lienthong-agent.service"
    text = UNIT.read_text(encoding="utf-8") if text is None else text
    real = shutil.which("true") or "/bin/true"
    unit.write_text(text.replace(INSTALLED_BINARY, real), encoding="utf-8")
    return unit


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    tool = require_tool("systemd-analyze")
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` accepts the unit without a single warning."""
    result = analyze("verify", str(verifiable_copy(tmp_path)))
    assert (result.returncode, result.stderr.strip()) == (0, "")


def test_verify_would_catch_a_mistake(tmp_path: Path) -> None:
    """The check above can fail: a misspelt directive produces a warning."""
    broken = UNIT.read_text(encoding="utf-8").replace("ProtectHome=yes", "ProtectHomes=yes")
    result = analyze("verify", str(verifiable_copy(tmp_path, broken)))
    assert "Unknown key 'ProtectHomes'" in result.stderr


def test_exposure_level_is_low(tmp_path: Path) -> None:
    """`systemd-analyze security` rates the unit's exposure at 2.0 or less (of 10)."""
    result = analyze("security", "--offline=true", "--threshold=20", str(verifiable_copy(tmp_path)))
    assert result.returncode == 0, result.stdout[-2000:]


def test_service_runs_the_installed_agent_with_the_default_config() -> None:
    """ExecStart runs `run --config` on /etc/lienthong-agent/agent.yaml, as the dedicated user."""
    unit = settings()
    assert unit["ExecStart"] == [f"{INSTALLED_BINARY} run --config {DEFAULT_CONFIG_FILE}"]
    assert unit["Type"] == ["notify"] and unit["NotifyAccess"] == ["main"]
    assert unit["User"] == ["lienthong"] and unit["Restart"] == ["on-failure"]
    assert unit["RestartPreventExitStatus"] == ["3"]  # EXIT_CONFIG
    assert "u lienthong " in SYSUSERS.read_text(encoding="utf-8")


def test_hardening_settings_are_present() -> None:
    """The hardening the operators' checklist asks for is in the unit."""
    unit = settings()
    expected = {
        "ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
        "ProtectHome": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
        "MemoryDenyWriteExecute": "yes", "CapabilityBoundingSet": "",
    }
    assert {k: unit[k][0] for k in expected} == expected
    assert unit["SystemCallFilter"][0] == "@system-service"
    assert unit["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]


def test_timeouts_agree_with_the_configuration() -> None:
    """TimeoutStopSec leaves the shutdown deadline room; the watchdog allows a 2x margin."""
    unit = settings()
    deadline = ShutdownSection().deadline_seconds
    assert _seconds(unit["TimeoutStopSec"][0]) >= deadline + 10
    assert _seconds(unit["WatchdogSec"][0]) >= 30


def test_folders_and_credentials_agree_with_the_example_config() -> None:
    """The exchange root is writable; LoadCredential loads every credential the example names."""
    unit = settings()
    assert unit["ReadWritePaths"] == [f"-{ExchangeSection().root}"]
    config = load_config_text(generate_example(), environ={})
    named = {config.axis.secret_credential, config.signing.key_password_credential}
    loaded = {value.split(":", 1)[0] for value in unit["LoadCredential"]}
    assert loaded == named
    assert all(
        v.split(":", 1)[1].startswith("/etc/lienthong-agent/credentials/")
        for v in unit["LoadCredential"]
    )
    assert unit["StateDirectory"] == ["lienthong-agent"]


def test_sysusers_and_tmpfiles_create_user_and_folders(tmp_path: Path) -> None:
    """In a scratch root, sysusers creates `lienthong` and tmpfiles its folders with their modes."""
    sysusers = require_tool("systemd-sysusers")
    tmpfiles = require_tool("systemd-tmpfiles")
    (tmp_path / "etc").mkdir()
    subprocess.run([sysusers, f"--root={tmp_path}", str(SYSUSERS)], check=True, timeout=30)
    passwd = (tmp_path / "etc" / "passwd").read_text(encoding="utf-8")
    assert passwd.startswith("lienthong:x:") and "/usr/sbin/nologin" in passwd
    subprocess.run(
        [tmpfiles, "--create", f"--root={tmp_path}", str(TMPFILES)], check=True, timeout=30
    )
    modes = {
        p: stat.S_IMODE((tmp_path / p).stat().st_mode)
        for p in (
            "srv/lienthong", "etc/lienthong-agent/credentials", "etc/lienthong-agent/signing",
            "var/lib/lienthong-agent",
        )
    }
    assert modes == {
        "srv/lienthong": 0o2770,
        "etc/lienthong-agent/credentials": 0o700,
        "etc/lienthong-agent/signing": 0o750,
        "var/lib/lienthong-agent": 0o750,
    }
