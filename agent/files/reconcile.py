"""Start-up reconciliation of the folders with the journal.

After a crash the folders can hold three kinds of leftovers, each harmless and each found here:

* **temporary files and folders** (:data:`~agent.files.atomic.TEMP_PREFIX`): a write or a
  publish that did not finish. Nothing refers to them; :func:`remove_temp_leftovers` deletes them.
  Only the agent's own temporary names are touched, never a DMS item being written.
* **claims without a journal row**: the item was renamed into the work area and the process died
  before registering it. :func:`unregistered_claims` finds them; the daemon registers them again
  (``Journal.add_outbound`` is idempotent), so nothing is lost. An empty claim (the crash came
  between creating it and the rename) is removed.
* **journal rows whose files are missing**: :func:`missing_files` says which, so the daemon can
  look in the archive areas (the move happened, its record did not) or report the item.

Costs stay proportional to the work in progress, not to the archive: the scans read the top of
each area and the work area only (``deep=True`` also looks inside every inbox folder).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from agent.files.atomic import disk_errors, fsync_dir, is_temp_name, remove_tree
from agent.files.inbox import CHANGES
from agent.files.layout import OrganFolders
from agent.files.pickup import ITEM_DIR

K = TypeVar("K")


def _temp_in(directory: Path) -> list[Path]:
    try:
        return [directory / e.name for e in os.scandir(directory) if is_temp_name(e.name)]
    except FileNotFoundError:
        return []


def _subdirs(directory: Path) -> list[Path]:
    try:
        return [directory / e.name for e in os.scandir(directory)
                if e.is_dir(follow_symlinks=False) and not is_temp_name(e.name)]
    except FileNotFoundError:
        return []


def temp_leftovers(folders: OrganFolders, *, deep: bool = False) -> list[Path]:
    """The agent's temporary files and folders under ``folders``."""
    with disk_errors("look for temporary files"):
        places = [*folders.all(), *_subdirs(folders.work_outbound),
                  *_subdirs(folders.work_status_out)]
        if deep:
            places += [d / CHANGES for d in _subdirs(folders.inbox)]
            places += _subdirs(folders.receipts)
        return sorted(p for place in places for p in _temp_in(place))


def remove_temp_leftovers(paths: Iterable[Path]) -> int:
    """Delete temporary leftovers; return how many were removed."""
    count = 0
    with disk_errors("remove temporary files"):
        for path in paths:
            if not is_temp_name(path.name):
                raise ValueError(f"{path} is not a temporary name of the agent")
            remove_tree(path)
            count += 1
    return count


def claims(work_dir: Path) -> list[Path]:
    """The claim folders in a work area (outbound or status-out), oldest first."""
    with disk_errors(f"list {work_dir}"):
        return sorted(_subdirs(work_dir))


def remove_empty_claims(work_dir: Path) -> list[str]:
    """Remove claims that hold no item (a crash between creating a claim and the rename)."""
    removed = []
    with disk_errors(f"clean {work_dir}"):
        for claim in claims(work_dir):
            item_dir = claim / ITEM_DIR
            if item_dir.is_dir() and not any(item_dir.iterdir()) and \
                    sorted(p.name for p in claim.iterdir()) == [ITEM_DIR]:
                item_dir.rmdir()
                claim.rmdir()
                removed.append(claim.name)
        if removed:
            fsync_dir(work_dir)
    return removed


def unregistered_claims(
    work_dir: Path, known: Callable[[list[str]], set[str]]
) -> list[Path]:
    """Claims the journal does not know (``known`` is ``Journal.known_claims``)."""
    found = claims(work_dir)
    registered = known([c.name for c in found])
    return [c for c in found if c.name not in registered]


def missing_files(expected: Mapping[K, Path]) -> list[K]:
    """The keys whose path does not exist (journal rows whose files are gone)."""
    with disk_errors("check the files of the journal's items"):
        return [key for key, path in expected.items() if not os.path.lexists(path)]
