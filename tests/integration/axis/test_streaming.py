"""Packages travel as streams: memory stays flat while a 48 MB package goes up and comes back.

tracemalloc sees every Python allocation in the process (the sandbox thread included), so a
client that held the package, its base64 text or the JSON answer in memory would show a peak of
tens of MB; streaming keeps it to a few chunks.
"""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.integration.axis.conftest import DISTRICT, SENDER, Axis, write_edoc

SIZE = 48 << 20
PEAK_LIMIT = 12 << 20
T = TypeVar("T")


def peak_of(action: Callable[[], T]) -> tuple[T, int]:
    tracemalloc.start()
    try:
        result = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.mark.slow
def test_large_package_round_trip_in_flat_memory(fresh_axis: Axis, tmp_path: Path) -> None:
    """send_edoc and get_edoc of a 48 MB package each peak far below the package size."""
    package = tmp_path / "big.edxml"
    sha = write_edoc(package, recipients=(DISTRICT,), attachment_bytes=SIZE * 3 // 4)
    sent, send_peak = peak_of(lambda: fresh_axis.client("00.53.W00").send_edoc(SENDER, package))
    assert sent.sha256 == sha

    receiver = fresh_axis.client("02.44.W00")
    (item,) = receiver.get_received_edoc_list()
    fetched = tmp_path / "fetched.edxml"
    with fetched.open("wb") as sink:
        result, fetch_peak = peak_of(lambda: receiver.get_edoc(item.doc_id, sink))
    assert result.sha256 == sha == hashlib.sha256(fetched.read_bytes()).hexdigest()
    assert result.size == package.stat().st_size
    assert send_peak < PEAK_LIMIT, f"sendEdoc peak {send_peak / 2**20:.1f} MiB"
    assert fetch_peak < PEAK_LIMIT, f"getEdoc peak {fetch_peak / 2**20:.1f} MiB"
