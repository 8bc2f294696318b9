"""Atomic writes on a real file system: all or nothing, durable, and a full disk leaves nothing
half-published (disk full is injected where the kernel reports it: write and fsync)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from agent.errors import DiskFullError, StorageError
from agent.files import atomic
from agent.files.layout import ExchangeLayout, FolderNames

from .conftest import ORGAN, tree


def _enospc(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_file_is_replaced_whole_and_no_temporary_name_remains(tmp_path: Path) -> None:
    """write_file_atomic replaces the old content and returns the SHA-256 of the new one."""
    target = tmp_path / "receipt.json"
    target.write_text("old")
    digest = atomic.write_file_atomic(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert digest == "fe32608c9ef5b6cf7e3f946480253ff76f24f4ec0678f3d0f07f9844cbff9601"
    assert tree(tmp_path) == ["receipt.json"]


@pytest.mark.parametrize("failing", ["fsync", "write"])
def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """ENOSPC while writing or syncing raises DiskFullError; the old version stays intact."""
    target = tmp_path / "timeline.json"
    target.write_text("version 1")
    if failing == "fsync":
        monkeypatch.setattr(atomic.os, "fsync", _enospc)
        chunks = [b"version 2"]
    else:
        chunks = _failing_chunks()
    with pytest.raises(DiskFullError, match="no space left") as info:
        atomic.write_stream_atomic(target, chunks)
    assert info.value.hint and "nothing half-written" in info.value.hint
    assert target.read_text() == "version 1" and tree(tmp_path) == ["timeline.json"]


def _failing_chunks() -> object:
    yield b"part one"
    raise OSError(errno.EDQUOT, "Disk quota exceeded")


def test_a_directory_is_published_whole(tmp_path: Path) -> None:
    """staged_directory shows nothing under the final name until the body has finished."""
    final = tmp_path / "inbox" / "doc"
    final.parent.mkdir()
    with atomic.staged_directory(final) as staging:
        (staging / "a.pdf").write_bytes(b"%PDF")
        (staging / "sub").mkdir()
        (staging / "sub" / "b.txt").write_text("b")
        assert not final.exists() and atomic.is_temp_name(staging.name)
    assert tree(tmp_path / "inbox") == ["doc", "doc/a.pdf", "doc/sub", "doc/sub/b.txt"]


def test_a_failed_publish_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error in the body, or a full disk while syncing the tree, publishes nothing."""
    final = tmp_path / "doc"
    with pytest.raises(RuntimeError), atomic.staged_directory(final) as staging:
        (staging / "a").write_text("a")
        raise RuntimeError("parser failed")
    monkeypatch.setattr(atomic.os, "fsync", _enospc)
    with pytest.raises(DiskFullError), atomic.staged_directory(final) as staging:
        (staging / "a").write_text("a")
    assert tree(tmp_path) == []


def test_publishing_over_an_existing_folder_is_refused(tmp_path: Path) -> None:
    """A second publish of the same name never replaces the first delivery."""
    final = tmp_path / "doc"
    final.mkdir()
    (final / "first").write_text("1")
    with pytest.raises(StorageError, match="already exists"), \
            atomic.staged_directory(final) as staging:
        (staging / "second").write_text("2")
    assert tree(tmp_path) == ["doc", "doc/first"]


def test_a_move_repeated_after_a_crash_finds_it_done(tmp_path: Path) -> None:
    """move() is idempotent: a second call after the rename returns the target."""
    (tmp_path / "work").mkdir()
    (tmp_path / "sent").mkdir()
    (tmp_path / "work" / "claim").mkdir()
    target = tmp_path / "sent" / "claim"
    assert atomic.move(tmp_path / "work" / "claim", target) == target
    assert atomic.move(tmp_path / "work" / "claim", target) == target
    assert tree(tmp_path) == ["sent", "sent/claim", "work"]


def test_a_move_onto_an_existing_name_is_refused(tmp_path: Path) -> None:
    """Archiving never overwrites an item already archived under the same name."""
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    with pytest.raises(StorageError, match="already exists"):
        atomic.move(tmp_path / "a", tmp_path / "b")


def test_link_or_copy_shares_the_bytes(tmp_path: Path) -> None:
    """A hard link when possible: same inode, no copy of a large package."""
    (tmp_path / "spool").write_bytes(b"x" * 1000)
    atomic.link_or_copy(tmp_path / "spool", tmp_path / "package.edxml")
    assert os.stat(tmp_path / "spool").st_ino == os.stat(tmp_path / "package.edxml").st_ino


def test_layout_places_each_organ_and_the_work_area(tmp_path: Path) -> None:
    """per_organ layout: one set of folders per organ; shared: one set under the root."""
    layout = ExchangeLayout(tmp_path, {ORGAN: "so-tttt"}, FolderNames(inbox="den"))
    folders = layout.folders(ORGAN)
    assert folders.inbox == tmp_path / "so-tttt" / "den"
    assert folders.work_outbound == tmp_path / "so-tttt" / ".lienthong" / "outbound"
    with pytest.raises(StorageError, match="no exchange folders for organ"):
        layout.folders("000.00.00.G22")
    shared = ExchangeLayout(tmp_path, None)
    assert shared.shared and shared.folders(ORGAN).outbox == tmp_path / "outbox"
    with pytest.raises(StorageError):
        ExchangeLayout(tmp_path, {ORGAN: "../etc"})
    with pytest.raises(StorageError):
        FolderNames(inbox="outbox")
