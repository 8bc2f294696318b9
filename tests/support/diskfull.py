"""Small file systems that fill up: a tmpfs mounted for the test, and a file that fills it.

Mounting needs root (CI runs the suite as root). Where ``mount -t tmpfs`` is impossible the test
is skipped with the reason, or fails under ``LIENTHONG_REQUIRE_TOOLS=1`` (as ``.ci/run`` sets):
the disk-full tests only mean something on a real full file system.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

FILLER = ".filler"  # a dot-name: no scan of the agent ever looks at it


def _refuse(message: str) -> None:
    if os.environ.get("LIENTHONG_REQUIRE_TOOLS") == "1":
        pytest.fail(message)
    pytest.skip(message)


class Mounts:
    """tmpfs mounts made by one test; :meth:`unmount_all` (a fixture finalizer) undoes them."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def tmpfs(self, path: Path, size: str) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            _refuse("mounting a small tmpfs needs root (CI runs the suite as root)")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                               str(path)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            _refuse(f"cannot mount a tmpfs at {path}: {done.stderr.strip()}")
        self.paths.append(path)
        return path

    def unmount_all(self) -> None:
        for path in reversed(self.paths):
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
        self.paths.clear()


def free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def fill(directory: Path, leave: int = 0) -> Path:
    """Write ``directory/.filler`` until at most ``leave`` bytes are free on its file system."""
    filler = directory / FILLER
    block = b"\0" * (64 * 1024)
    with filler.open("ab", buffering=0) as out:
        while (room := free_bytes(directory) - leave) > 0:
            try:
                out.write(block[:min(len(block), room)])
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    return filler


def release(filler: Path) -> None:
    filler.unlink(missing_ok=True)
