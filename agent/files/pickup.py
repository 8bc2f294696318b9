"""Finding complete items in outbox/ and status-out/, and claiming them.

**Complete.** The contract is the atomic rename: the DMS writes an item under an ignored name (a
leading dot, ``.tmp``, ``.part``...) and renames it into place when it is complete, so any item
with a normal name is whole. For producers that cannot rename, :class:`QuiescenceTracker` takes
an item only once the size and modification time of the item and of every file in it have stayed
the same for a configured time, measured on the agent's clock (``now`` is passed in).

**Claimed.** :func:`claim` renames the item into the work area (``.lienthong/outbound/<claim>/
item/<name>``) before anything else happens to it. A rename is atomic: the item is either still
in outbox/ (not picked up) or in the work area (picked up, exactly once), whatever the moment of
a crash. The journal row is written next; start-up adopts a claim that has none.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from agent.errors import StorageError
from agent.files.atomic import disk_errors, fsync_dir, is_temp_name

DEFAULT_IGNORE = (".*", "*.tmp", "*.part", "~$*")
PACKAGE_SUFFIXES = (".edxml", ".xml")
METADATA_NAMES = ("metadata.yaml", "metadata.yml", "metadata.json")
STATUS_SUFFIXES = (".json", ".yaml", ".yml")
ITEM_DIR = "item"


class ItemKind(StrEnum):
    PACKAGE = "package"  # a ready edXML package file
    FOLDER = "folder"  # a document folder: metadata file and attachments
    STATUS = "status"  # a status update file (status-out/)
    UNKNOWN = "unknown"  # nothing the contract describes: goes to failed/ with a reason


def is_ignored(name: str, patterns: Sequence[str] = DEFAULT_IGNORE) -> bool:
    """Names that are never picked up: the agent's temporary names and ``patterns``."""
    return is_temp_name(name) or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def scan(directory: Path, patterns: Sequence[str] = DEFAULT_IGNORE) -> list[Path]:
    """The items in ``directory`` that are not ignored, oldest first (then by name)."""
    stamped = []
    with disk_errors(f"scan {directory}"):
        for entry in os.scandir(directory):
            if is_ignored(entry.name, patterns):
                continue
            try:
                stamped.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
            except FileNotFoundError:  # taken back or renamed while we looked
                continue
    return [directory / name for _, name in sorted(stamped)]


def classify(path: Path, *, status: bool = False) -> ItemKind:
    """What kind of item ``path`` is (never follows a symbolic link)."""
    if path.is_symlink():
        return ItemKind.UNKNOWN
    if status:
        ok = path.is_file() and path.suffix.lower() in STATUS_SUFFIXES
        return ItemKind.STATUS if ok else ItemKind.UNKNOWN
    if path.is_file() and path.suffix.lower() in PACKAGE_SUFFIXES:
        return ItemKind.PACKAGE
    if path.is_dir() and any((path / n).is_file() for n in METADATA_NAMES):
        return ItemKind.FOLDER
    return ItemKind.UNKNOWN


Snapshot = tuple[tuple[str, int, int], ...]  # (relative path, size, mtime_ns), sorted


def snapshot(path: Path) -> Snapshot:
    """Size and modification time of ``path`` and of everything under it."""
    with disk_errors(f"look at {path.name}"):
        st = path.lstat()
        rows = [("", st.st_size, st.st_mtime_ns)]
        if path.is_dir() and not path.is_symlink():
            for current, dirs, files in os.walk(path):
                for name in [*dirs, *files]:
                    full = Path(current) / name
                    st = full.lstat()
                    rows.append((str(full.relative_to(path)), st.st_size, st.st_mtime_ns))
    return tuple(sorted(rows))


@dataclass
class QuiescenceTracker:
    """Takes an item once it has not changed for ``settle_seconds`` of the agent's clock."""

    settle_seconds: float
    _seen: dict[Path, tuple[Snapshot, dt.datetime]] = field(default_factory=dict)

    def ready(self, path: Path, now: dt.datetime) -> bool:
        """Record what ``path`` looks like at ``now``; True once it has looked the same for the
        settle time (a change restarts the wait). Call it on every scan."""
        try:
            current = snapshot(path)
        except StorageError:  # it vanished or cannot be read: not ready
            self._seen.pop(path, None)
            return False
        before = self._seen.get(path)
        if before is None or before[0] != current:
            self._seen[path] = (current, now)
            return self.settle_seconds <= 0
        return (now - before[1]).total_seconds() >= self.settle_seconds

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def prune(self, present: Sequence[Path]) -> None:
        """Drop what is known about items no longer there."""
        keep = set(present)
        for path in [p for p in self._seen if p not in keep]:
            del self._seen[path]


def new_claim_id(now: dt.datetime, name: str) -> str:
    """A unique, sortable, readable work-area name: ``20241105T013000Z-1a2b3c-<name>``."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    short = name.encode("utf-8")[:100].decode("utf-8", "ignore")
    return f"{stamp}-{secrets.token_hex(3)}-{short}"


def claim(item: Path, work_dir: Path, claim_id: str) -> Path | None:
    """Move ``item`` into ``work_dir/<claim_id>/item/``; return the claim folder, or None if
    the item disappeared first (the DMS took it back, or another scan claimed it)."""
    claim_dir = work_dir / claim_id
    with disk_errors(f"claim {item.name}"):
        (claim_dir / ITEM_DIR).mkdir(parents=True)
        fsync_dir(claim_dir)
        fsync_dir(work_dir)
        try:
            os.rename(item, claim_dir / ITEM_DIR / item.name)
        except FileNotFoundError:
            (claim_dir / ITEM_DIR).rmdir()
            claim_dir.rmdir()
            return None
        fsync_dir(claim_dir / ITEM_DIR)
        fsync_dir(item.parent)
    return claim_dir


def claimed_item(claim_dir: Path) -> Path | None:
    """The item inside a claim folder, or None (an empty claim left by a crash)."""
    with disk_errors(f"read claim {claim_dir.name}"):
        entries = sorted((claim_dir / ITEM_DIR).iterdir()) if (claim_dir / ITEM_DIR).is_dir() \
            else []
    return entries[0] if entries else None
