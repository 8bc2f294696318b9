"""Delivering a received document to inbox/, and spooling it before that.

One folder per document, published atomically (it appears whole, or not at all)::

    inbox/<DocumentId>__<axis docId>/
        package.edxml       the package bytes exactly as received
        attachments/<name>  each attachment, decoded and unwrapped, under a sanitized name
        document.json       the parsed metadata and each signature's verification result
        SHA256SUMS          sha256sum format, over every file above (check: sha256sum -c)
        changes/<id>.json   added later: a recall, update or replacement of this document

The folder name depends only on the document, so a delivery repeated after a crash finds the
first one (:func:`find_delivery`) instead of writing a second.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from agent.core.edxml.names import safe_attachment_name, unique_names
from agent.errors import StorageError
from agent.files.atomic import (
    disk_errors,
    fsync_dir,
    json_bytes,
    link_or_copy,
    read_chunks,
    staged_directory,
    write_json_atomic,
    write_stream_atomic,
)
from agent.files.layout import OrganFolders

PACKAGE = "package.edxml"
DOCUMENT = "document.json"
SUMS = "SHA256SUMS"
ATTACHMENTS = "attachments"
CHANGES = "changes"
_UNSAFE = re.compile(r"[^\w.,+=@()-]+")


def safe_component(text: str, limit: int = 120) -> str:
    """``text`` as one portable file-name component: separators and anything Windows refuses
    become ``-``; no leading dot; at most ``limit`` UTF-8 bytes."""
    cleaned = _UNSAFE.sub("-", text).strip("-.") or "_"
    return cleaned.encode("utf-8")[:limit].decode("utf-8", "ignore")


def inbox_folder_name(document_id: str, axis_doc_id: str) -> str:
    """``000.00.13.H53,2024-11-05,412-STTTT-VP__68edb8c8c2dcb14db773ce44``."""
    return f"{safe_component(document_id)}__{safe_component(axis_doc_id, 64)}"


def spool_path(folders: OrganFolders, axis_doc_id: str) -> Path:
    return folders.spool / f"{safe_component(axis_doc_id, 64)}.edxml"


def spool_package(
    folders: OrganFolders, axis_doc_id: str, chunks: Iterable[bytes]
) -> tuple[Path, str]:
    """Write a fetched package durably to the spool; return its path and SHA-256."""
    path = spool_path(folders, axis_doc_id)
    return path, write_stream_atomic(path, chunks)


def release_spool(path: Path) -> None:
    """Remove a spooled package once its item is settled (the inbox or quarantine folder has
    its own link or copy). Removing one already gone is fine."""
    with disk_errors(f"remove {path.name} from the spool"):
        path.unlink(missing_ok=True)


class _HashingFile(io.BufferedWriter):
    """A file that records its SHA-256 and size, and is fsynced when closed."""

    def __init__(self, path: Path, done: dict[str, tuple[str, int]], key: str) -> None:
        super().__init__(io.FileIO(path, "xb"))
        self._digest, self._size, self._done, self._key = hashlib.sha256(), 0, done, key

    def write(self, data: Any, /) -> int:
        written = super().write(data)
        self._digest.update(memoryview(data)[:written])
        self._size += written
        return written

    def close(self) -> None:
        if not self.closed:
            self.flush()
            os.fsync(self.fileno())
            self._done[self._key] = (self._digest.hexdigest(), self._size)
        super().close()


class InboxWriter:
    """Fills a staged inbox folder. Usable as the parser's attachment sink (``open``)."""

    def __init__(self, staging: Path) -> None:
        self.staging = staging
        self.files: dict[str, tuple[str, int]] = {}  # relative path -> (sha256, size)
        self._used: list[str] = []
        (staging / ATTACHMENTS).mkdir()

    def add_package(self, spool: Path, sha256: str) -> None:
        """The package bytes as received (a hard link to the spool file where possible)."""
        link_or_copy(spool, self.staging / PACKAGE)
        self.files[PACKAGE] = (sha256, (self.staging / PACKAGE).stat().st_size)

    def open(self, index: int, content_id: str, declared_name: str) -> BinaryIO:
        """A new attachment file under a safe, unique name (``attachment-<n>`` if none)."""
        name = safe_attachment_name(declared_name) if declared_name else f"attachment-{index}"
        unique = unique_names([*self._used, name])[-1]
        self._used.append(unique)
        key = f"{ATTACHMENTS}/{unique}"
        return _HashingFile(self.staging / key, self.files, key)

    def add_attachment(self, name: str, source: BinaryIO) -> str:
        """Copy an attachment from a stream; return the name it was stored under."""
        with self.open(len(self._used), "", name) as out:
            for chunk in read_chunks(source):
                out.write(chunk)
        return self._used[-1]

    def write_document(self, document: Mapping[str, Any]) -> None:
        """``document.json``: the caller's parsed metadata and signature verdicts."""
        data = json_bytes(document)
        with disk_errors(f"write {DOCUMENT}"):
            (self.staging / DOCUMENT).write_bytes(data)
        self.files[DOCUMENT] = (hashlib.sha256(data).hexdigest(), len(data))

    def finish(self) -> None:
        lines = [f"{sha}  {path}\n" for path, (sha, _) in sorted(self.files.items())]
        (self.staging / SUMS).write_text("".join(lines), encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Delivery:
    path: Path
    package_sha256: str | None  # from SHA256SUMS


@contextmanager
def inbox_delivery(folders: OrganFolders, name: str) -> Iterator[InboxWriter]:
    """Stage ``inbox/<name>``, let the body fill it, publish it whole (all files fsynced).
    On any error nothing appears. Check :func:`find_delivery` first: the name must be new."""
    with staged_directory(folders.inbox / name) as staging:
        writer = InboxWriter(staging)
        yield writer
        writer.finish()


def find_delivery(folders: OrganFolders, name: str) -> Delivery | None:
    """The published delivery ``name``, if there is one (re-delivery after a crash)."""
    path = folders.inbox / name
    if not path.is_dir():
        return None
    sums = read_sums(path)
    return Delivery(path, sums.get(PACKAGE))


def read_sums(folder: Path) -> dict[str, str]:
    """SHA256SUMS of a delivered folder as ``{relative path: sha256}``."""
    with disk_errors(f"read {folder.name}/{SUMS}"):
        text = (folder / SUMS).read_text(encoding="utf-8") if (folder / SUMS).exists() else ""
    out = {}
    for line in text.splitlines():
        sha, _, rel = line.partition("  ")
        out[rel] = sha
    return out


def verify_delivery(folder: Path) -> list[str]:
    """Files of a delivered folder that do not match SHA256SUMS (empty: intact)."""
    problems = []
    for rel, sha in read_sums(folder).items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        digest = hashlib.sha256()
        with disk_errors(f"read {rel}"), path.open("rb") as stream:
            for chunk in read_chunks(stream):
                digest.update(chunk)
        if digest.hexdigest() != sha:
            problems.append(f"{rel}: changed since delivery")
    return problems or ([] if read_sums(folder) else [f"{SUMS}: missing or empty"])


def record_change(delivered: Path, key: str, change: Mapping[str, Any]) -> Path:
    """Record a recall / update / replacement (or a take-back request) in the folder of the
    document it changes, as ``changes/<key>.json`` (rewritten whole if it exists)."""
    if not delivered.is_dir():
        raise StorageError(f"the delivered folder {delivered} is missing",
                           hint="it was moved or deleted after delivery; the change is kept"
                                " in the journal")
    with disk_errors(f"record a change in {delivered.name}"):
        target = delivered / CHANGES
        if not target.is_dir():
            target.mkdir()
            fsync_dir(delivered)
    path = target / f"{safe_component(key, 100)}.json"
    write_json_atomic(path, change)
    return path
