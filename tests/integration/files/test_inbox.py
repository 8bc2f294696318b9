"""Delivery to inbox/ on a real file system: published whole with a manifest that sha256sum
accepts, never half, never twice, with later changes recorded beside it."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from agent.errors import DiskFullError, StorageError, UnsafeAttachmentNameError
from agent.files import atomic
from agent.files.inbox import (
    find_delivery,
    inbox_delivery,
    inbox_folder_name,
    read_sums,
    record_change,
    release_spool,
    spool_package,
    verify_delivery,
)
from agent.files.layout import OrganFolders

from .conftest import tree

DOCUMENT_ID = "000.00.13.H53,2024/11/05,412/STTTT-VP"
AXIS_ID = "68edb8c8c2dcb14db773ce44"
PACKAGE = b"<?xml version='1.0'?><edXML>...</edXML>\n"


def _deliver(folders: OrganFolders, name: str) -> Path:
    spool, sha = spool_package(folders, AXIS_ID, [PACKAGE])
    with inbox_delivery(folders, name) as writer:
        writer.add_package(spool, sha)
        with writer.open(0, "cid-1", "412-STTTT-VP.pdf") as out:
            out.write(b"%PDF-1.4 first")
            out.write(b" second")
        writer.add_attachment("412-STTTT-VP.pdf", io.BytesIO(b"%PDF-1.4 again"))
        writer.write_document({"document_id": DOCUMENT_ID, "subject": "V/v đôn đốc"})
    return folders.inbox / name


def test_folder_names_are_portable_and_deterministic() -> None:
    """Slashes and other refused characters become '-', no leading dot, bounded length."""
    assert inbox_folder_name(DOCUMENT_ID, AXIS_ID) == (
        "000.00.13.H53,2024-11-05,412-STTTT-VP__68edb8c8c2dcb14db773ce44")
    assert inbox_folder_name("../../x:y*z", "..") == "x-y-z___"
    assert len(inbox_folder_name("đ" * 500, AXIS_ID).encode()) <= 120 + 2 + 24


def test_a_delivery_is_published_with_a_manifest_sha256sum_accepts(
    folders: OrganFolders,
) -> None:
    """package.edxml, the attachments (duplicate names made unique), document.json and
    SHA256SUMS; `sha256sum -c` (coreutils) agrees with every line."""
    folder = _deliver(folders, inbox_folder_name(DOCUMENT_ID, AXIS_ID))
    assert tree(folder) == ["SHA256SUMS", "attachments", "attachments/412-STTTT-VP (2).pdf",
                            "attachments/412-STTTT-VP.pdf", "document.json", "package.edxml"]
    sums = read_sums(folder)
    assert sums["package.edxml"] == hashlib.sha256(PACKAGE).hexdigest()
    assert sums["attachments/412-STTTT-VP.pdf"] == hashlib.sha256(
        b"%PDF-1.4 first second").hexdigest()
    assert verify_delivery(folder) == []
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=folder, check=True)


def test_a_changed_delivered_file_is_detected(folders: OrganFolders) -> None:
    """verify_delivery reports a file altered or removed after delivery."""
    folder = _deliver(folders, "doc")
    (folder / "document.json").write_text("{}")
    (folder / "attachments" / "412-STTTT-VP (2).pdf").unlink()
    assert verify_delivery(folder) == ["attachments/412-STTTT-VP (2).pdf: missing",
                                       "document.json: changed since delivery"]


def test_a_repeated_delivery_finds_the_first_and_writes_nothing(folders: OrganFolders) -> None:
    """After a crash between the inbox write and the journal update, the folder is found with
    the package's SHA-256; publishing the same name again is refused."""
    name = inbox_folder_name(DOCUMENT_ID, AXIS_ID)
    assert find_delivery(folders, name) is None
    folder = _deliver(folders, name)
    found = find_delivery(folders, name)
    assert found is not None and found.path == folder
    assert found.package_sha256 == hashlib.sha256(PACKAGE).hexdigest()
    with pytest.raises(StorageError, match="already exists"):
        _deliver(folders, name)
    assert [p.name for p in folders.inbox.iterdir()] == [name]


def test_a_failed_delivery_leaves_nothing_in_the_inbox(
    folders: OrganFolders, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile attachment name mid-delivery, or a full disk at the final fsync: inbox/ shows
    nothing, and the spool still holds the package for the next attempt."""
    spool, sha = spool_package(folders, AXIS_ID, [PACKAGE])
    with pytest.raises(UnsafeAttachmentNameError), inbox_delivery(folders, "doc") as writer:
        writer.add_package(spool, sha)
        writer.open(0, "cid", "../../etc/cron.d/evil")
    monkeypatch.setattr(atomic.os, "fsync", _enospc)
    with pytest.raises(DiskFullError), inbox_delivery(folders, "doc") as writer:
        writer.add_package(spool, sha)
    assert tree(folders.inbox) == [] and spool.read_bytes() == PACKAGE


def _enospc(fd: int) -> None:
    raise OSError(28, "No space left on device")


def test_releasing_the_spool_keeps_the_delivered_package(folders: OrganFolders) -> None:
    """The inbox package is a link of its own: removing the spool file leaves it intact."""
    folder = _deliver(folders, "doc")
    spool = folders.spool / f"{AXIS_ID}.edxml"
    release_spool(spool)
    release_spool(spool)
    assert not spool.exists() and (folder / "package.edxml").read_bytes() == PACKAGE
    assert verify_delivery(folder) == []


def test_a_change_is_recorded_in_the_earlier_documents_folder(folders: OrganFolders) -> None:
    """A recall is written to changes/<id>.json; the manifest of the delivery is untouched."""
    folder = _deliver(folders, "doc")
    path = record_change(folder, "recall/69aa", {"business_type": 1, "reason": "Thu hồi"})
    assert path == folder / "changes" / "recall-69aa.json"
    assert '"reason": "Thu hồi"' in path.read_text(encoding="utf-8")
    assert verify_delivery(folder) == []
    with pytest.raises(StorageError, match="missing"):
        record_change(folders.inbox / "gone", "x", {})
