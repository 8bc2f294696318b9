"""Shared test configuration.

`LIENTHONG_REQUIRE_TOOLS=1` (set by `.ci/run`) turns a skip for a missing external tool (xmlsec1,
dpkg, systemd-analyze) into a failure, so CI never silently skips what it could have installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.e2e.harness import SandboxProcess
from tests.integration.services.fixtures import Pki, make_pki

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def require_tool(name: str) -> str:
    """Return the path of an external tool, or skip (fail under LIENTHONG_REQUIRE_TOOLS=1)."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (.ci/run installs it)"
    if os.environ.get("LIENTHONG_REQUIRE_TOOLS") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A development PKI (root, issuing CA, the agencies' signing keys), made once per run."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxProcess]:
    """The sandbox axis as a subprocess on 127.0.0.1, stopped after the test."""
    process = SandboxProcess(tmp_path / "axis")
    yield process
    process.stop()
