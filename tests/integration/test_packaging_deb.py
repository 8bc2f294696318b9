"""The .deb builds, installs with dpkg, runs from /opt, and purges leaving nothing behind."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import __version__
from tests.conftest import require_tool

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "lienthong-agent"
OURS = [
    Path("/opt/lienthong-agent"),
    Path("/etc/lienthong-agent"),
    Path("/var/lib/lienthong-agent"),
    Path("/srv/lienthong"),
    Path("/usr/bin/lienthong-agent"),
    Path("/usr/lib/systemd/system/lienthong-agent.service"),
    Path("/usr/share/doc/lienthong-agent"),
]

pytestmark = pytest.mark.slow


def run(*args: str, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=check)


def installed() -> bool:
    return run("dpkg-query", "-W", "-f=${Status}", PACKAGE, check=False).stdout.endswith(
        " installed"
    )


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package, built once by packaging/build-deb.sh."""
    require_tool("dpkg-deb")
    out = tmp_path_factory.mktemp("deb")
    result = run(str(REPO / "packaging" / "build-deb.sh"), str(out), timeout=900)
    built = Path(result.stdout.strip().splitlines()[-1])
    assert built.is_file() and built.parent == out
    return built


@pytest.fixture
def system_install(deb: Path) -> Iterator[Path]:
    """Install the package on this machine (root only), and purge it afterwards whatever happens."""
    require_tool("dpkg")
    if os.geteuid() != 0:
        pytest.skip("installing a .deb needs root (CI runs as root)")
    if installed() or any(p.exists() for p in OURS):
        pytest.skip("lienthong-agent is already installed here; not touching it")
    try:
        yield deb
    finally:
        if installed():
            run("dpkg", "--purge", PACKAGE, check=False)


def test_package_metadata_and_contents(deb: Path) -> None:
    """Control fields, the conffile and the installed paths are what operators expect."""
    info = run("dpkg-deb", "--field", str(deb), "Package", "Version", "Depends").stdout
    assert f"Package: {PACKAGE}" in info and f"Version: {__version__}" in info
    assert "python3." in info
    assert run("dpkg-deb", "--ctrl-tarfile", str(deb)).returncode == 0
    contents = run("dpkg-deb", "--contents", str(deb)).stdout
    for path in (
        "./opt/lienthong-agent/bin/lienthong-agent",
        "./etc/lienthong-agent/agent.yaml",
        "./usr/lib/systemd/system/lienthong-agent.service",
        "./usr/lib/sysusers.d/lienthong-agent.conf",
        "./usr/lib/tmpfiles.d/lienthong-agent.conf",
        "./usr/bin/lienthong-agent -> /opt/lienthong-agent/bin/lienthong-agent",
    ):
        assert path in contents
    conffiles = run("sh", "-c", f"dpkg-deb --ctrl-tarfile {deb} | tar -xOf - ./conffiles").stdout
    assert conffiles.split() == ["/etc/lienthong-agent/agent.yaml"]


def test_install_run_validate_and_purge(system_install: Path) -> None:
    """dpkg -i, --version, config validate (as root and as the service user), dpkg --purge."""
    run("dpkg", "-i", str(system_install))
    version = run("/opt/lienthong-agent/bin/lienthong-agent", "--version").stdout.strip()
    assert version == f"lienthong-agent {__version__}"
    validate = run("lienthong-agent", "config", "validate", "/etc/lienthong-agent/agent.yaml")
    assert validate.stdout.strip() == "/etc/lienthong-agent/agent.yaml: valid"
    runuser = shutil.which("runuser")
    if runuser:  # the service user can read its configuration (root:lienthong 0640)
        as_service = [runuser, "-u", "lienthong", "--", "/usr/bin/lienthong-agent"]
        run(*as_service, "config", "validate", "/etc/lienthong-agent/agent.yaml")
    assert run("getent", "passwd", "lienthong").stdout.startswith("lienthong:")
    assert oct(Path("/srv/lienthong").stat().st_mode & 0o7777) == "0o2770"
    own_dirs = ("/opt/lienthong-agent", "/etc/lienthong-agent", "/usr/share/doc/lienthong-agent")
    listed = run("dpkg", "-L", PACKAGE).stdout.split()
    ours = [p for p in listed if not Path(p).is_dir() or p.startswith(own_dirs)]
    assert len(ours) > 1000  # the whole virtualenv is listed

    run("dpkg", "--purge", PACKAGE)
    assert [p for p in ours if os.path.lexists(p)] == []
    assert [str(p) for p in OURS if os.path.lexists(p)] == []
    assert run("getent", "passwd", "lienthong", check=False).returncode != 0
    assert run("getent", "group", "lienthong", check=False).returncode != 0
