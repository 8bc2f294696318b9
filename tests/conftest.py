"""Shared test configuration.

`LIENTHONG_REQUIRE_TOOLS=1` (set by `.ci/run`) turns a skip for a missing external tool (xmlsec1,
dpkg, systemd-analyze) into a failure, so CI never silently skips what it could have installed.
"""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

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
