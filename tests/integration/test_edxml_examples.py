"""The examples embedded for the unit tests are still the protocol reference's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.edxml.examples import ALL

SHARED = Path("/work/shared/protocol/examples")


@pytest.mark.skipif(not SHARED.is_dir(), reason="the protocol reference is not on this machine")
@pytest.mark.parametrize("name", sorted(ALL))
def test_embedded_copy_matches_the_reference_file(name: str) -> None:
    """tests/unit/edxml/examples.py holds byte-identical copies of AXIS.md §15's files."""
    assert (SHARED / name).read_bytes() == ALL[name]


@pytest.mark.skipif(not SHARED.is_dir(), reason="the protocol reference is not on this machine")
def test_every_reference_package_is_embedded() -> None:
    """A package added to the reference's examples is not silently left out of the tests."""
    assert {p.name for p in SHARED.glob("*.edxml")} <= set(ALL)
