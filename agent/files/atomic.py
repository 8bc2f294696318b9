"""Write what another process reads so that it sees all of it or nothing (certbot's storage.py).

* A file: written under a temporary name in the same directory, fsynced, renamed over the final
  name with ``os.replace``, then the directory is fsynced so the rename itself survives a crash.
* A directory: built under a temporary name, every file and sub-directory fsynced, renamed into
  place, the parent fsynced.
* A move: ``os.rename`` (same file system, so atomic) and both directories fsynced.

Temporary names start with :data:`TEMP_PREFIX`. Scanners never pick them up (they start with a
dot) and :func:`agent.files.reconcile.temp_leftovers` finds those a crash left behind.

A full disk (``ENOSPC``, ``EDQUOT``) raises :class:`~agent.errors.DiskFullError`, any other
``OSError`` :class:`~agent.errors.StorageError`; in both cases the temporary file or directory is
removed and nothing appears under the final name.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from agent.errors import DiskFullError, StorageError

TEMP_PREFIX = ".lienthong-tmp-"
CHUNK = 1 << 20


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one of the agent's temporary names."""
    return name.startswith(TEMP_PREFIX)


def temp_sibling(final: Path) -> Path:
    """A fresh temporary path next to ``final`` (same directory, so renames are atomic)."""
    return final.with_name(f"{TEMP_PREFIX}{secrets.token_hex(6)}-{final.name[:80]}")


def storage_error(exc: OSError, action: str) -> StorageError:
    """The agent error for an ``OSError`` met while ``action``."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"no space left while {action}{where}",
                             hint="free disk space; the agent retries and nothing half-written"
                                  " is left behind")
    return StorageError(f"cannot {action}{where}: {exc.strerror or exc}",
                        hint="check that the folder exists and the agent may write to it")


@contextmanager
def disk_errors(action: str) -> Iterator[None]:
    """Translate ``OSError`` raised in the body into :class:`StorageError` / ``DiskFullError``."""
    try:
        yield
    except OSError as exc:
        raise storage_error(exc, action) from exc


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_tree(path: Path) -> None:
    """Delete a file or a whole directory (never following a symbolic link)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def _remove(path: Path) -> None:
    """Best-effort removal of a temporary file or directory after a failure."""
    try:
        remove_tree(path)
    except OSError:  # the original failure matters more; start-up cleaning finds it later
        pass


def write_stream_atomic(final: Path, chunks: Iterable[bytes], mode: int = 0o644) -> str:
    """Write ``chunks`` to ``final`` atomically; return the SHA-256 (hex) of what was written."""
    tmp = temp_sibling(final)
    digest = hashlib.sha256()
    with disk_errors(f"write {final.name}"):
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, final)
        except BaseException:
            _remove(tmp)
            raise
        fsync_dir(final.parent)
    return digest.hexdigest()


def write_file_atomic(final: Path, data: bytes, mode: int = 0o644) -> str:
    """Write ``data`` to ``final`` atomically; return its SHA-256 (hex)."""
    return write_stream_atomic(final, [data], mode)


def json_bytes(value: Mapping[str, Any] | list[Any]) -> bytes:
    """Indented UTF-8 JSON with Vietnamese kept readable; dates and paths as strings."""
    return (json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n").encode()


def write_json_atomic(final: Path, value: Mapping[str, Any] | list[Any]) -> str:
    """Write ``value`` as JSON (:func:`json_bytes`) atomically."""
    return write_file_atomic(final, json_bytes(value))


def read_chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with disk_errors(f"read {path.name}"), path.open("rb") as stream:
        for chunk in read_chunks(stream):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_tree(root: Path) -> None:
    """fsync every file and directory under ``root`` (and ``root`` itself)."""
    for current, dirs, files in os.walk(root):
        base = Path(current)
        for name in files:
            fd = os.open(base / name, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for name in dirs:
            fsync_dir(base / name)
    fsync_dir(root)


@contextmanager
def staged_directory(final: Path) -> Iterator[Path]:
    """Build a directory under a temporary name in ``final``'s parent and publish it as
    ``final`` when the body ends without error: all or nothing. ``final`` must not exist."""
    tmp = temp_sibling(final)
    with disk_errors(f"publish {final.name}"):
        tmp.mkdir()
        try:
            yield tmp
            fsync_tree(tmp)
            if final.exists():
                raise FileExistsError(errno.EEXIST, "already exists", str(final))
            os.rename(tmp, final)
        except BaseException:
            _remove(tmp)
            raise
        fsync_dir(final.parent)


def move(source: Path, target: Path) -> Path:
    """Rename ``source`` to ``target`` (same file system) durably: both directories are fsynced.
    Idempotent for a crash in between: if ``source`` is gone and ``target`` exists, the move
    was done. ``target`` must not exist otherwise."""
    with disk_errors(f"move {source.name}"):
        if not source.exists() and not source.is_symlink() and target.exists():
            return target
        if target.exists() or target.is_symlink():
            raise FileExistsError(errno.EEXIST, "already exists", str(target))
        os.rename(source, target)
        fsync_dir(target.parent)
        if source.parent != target.parent:
            fsync_dir(source.parent)
    return target


def link_or_copy(source: Path, target: Path) -> None:
    """Give ``target`` the bytes of ``source``: a hard link (no copy, the spool keeps its own
    name) where the file system allows it, else a copy. ``target`` must not exist."""
    with disk_errors(f"copy {source.name}"):
        try:
            os.link(source, target)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
            shutil.copyfile(source, target)
