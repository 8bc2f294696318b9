"""Large attachments stream through build and parse in bounded memory (file to file)."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

import pytest

from agent.core.edxml import AttachmentSource, EdocPackage, build_edoc, parse_package
from tests.unit.edxml.helpers import sample_header, sample_trace

SIZE = 64 << 20  # 64 MiB decoded, ~85 MiB of base64 in the package
PEAK_LIMIT = 30 << 20  # generous: holding the attachment once would already exceed it
T = TypeVar("T")

pytestmark = pytest.mark.slow


def _peak(work: Callable[[], T]) -> tuple[T, int]:
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class _FileSink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def open(self, index: int, content_id: str, declared_name: str) -> BinaryIO:
        return (self.folder / f"{index}.bin").open("wb")


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("edxml") / "big.pdf"
    sha = hashlib.sha256()
    block = bytes(range(256)) * 4096  # 1 MiB, varied bytes
    with path.open("wb") as out:
        for i in range(SIZE // len(block)):
            chunk = block[i % 256 :] + block[: i % 256]
            sha.update(chunk)
            out.write(chunk)
    return path, sha.hexdigest()


def test_build_and_parse_a_64_mib_attachment_in_bounded_memory(
    big_file: tuple[Path, str], tmp_path: Path
) -> None:
    """Python heap peak stays under 30 MiB while building and while parsing a package whose
    attachment alone is 64 MiB; the bytes delivered are the bytes attached."""
    source_path, sha = big_file
    source = AttachmentSource("cid:big", "big.pdf", "application/pdf",
                              lambda: source_path.open("rb"))
    package_path = tmp_path / "big.edxml"

    def build() -> int:
        with package_path.open("wb") as out:
            return build_edoc(out, sample_header(), sample_trace(), [source]).bytes_written

    written, build_peak = _peak(build)

    def parse() -> EdocPackage | object:
        with package_path.open("rb") as stream:
            return parse_package(stream, _FileSink(tmp_path))

    package, parse_peak = _peak(parse)
    assert isinstance(package, EdocPackage)
    delivered = tmp_path / "0.bin"
    assert (written, SIZE, sha, SIZE) == (
        package_path.stat().st_size, package.attachments[0].size, package.attachments[0].sha256,
        delivered.stat().st_size,
    )
    assert (True, True) == (build_peak < PEAK_LIMIT, parse_peak < PEAK_LIMIT), (
        build_peak, parse_peak)
