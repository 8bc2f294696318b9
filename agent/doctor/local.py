"""Checks of what is on this machine: the configuration, the exchange folders, the journal."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from agent.doctor.context import Context
from agent.doctor.model import Check, error, ok, warning
from agent.errors import JournalError, StorageError

_VALIDATE = "run `lienthong-agent config validate --check-files {path}` and correct each key"
_FOLDER_FIX = ("create it and give it to the service user, e.g. `install -d -o lienthong"
               " -g lienthong -m 2770 {path}` (the .deb's tmpfiles snippet does this for"
               " /srv/lienthong), and list it in ReadWritePaths= of the unit")


def check_config(ctx: Context) -> Check:
    """The configuration loads and validates; the files it names exist and are readable."""
    from agent.config import InvalidConfigError, check_files, load_config

    fix = _VALIDATE.format(path=ctx.config_path)
    try:
        ctx.config = load_config(ctx.config_path, environ=ctx.environ)
    except InvalidConfigError as exc:
        return error("config", _problems(str(ctx.config_path), exc.problems), fix,
                     problems=[str(p) for p in exc.problems])
    problems = check_files(ctx.config, ctx.environ)
    if problems:
        return error("config", _problems(f"{ctx.config_path} is valid, but", problems), fix,
                     problems=[str(p) for p in problems])
    return ok("config", f"{ctx.config_path} is valid and the files it names are readable")


def _problems(prefix: str, problems: Sequence[object]) -> str:
    count = len(problems)
    shown = "; ".join(str(p) for p in problems[:3]) + ("; ..." if count > 3 else "")
    return f"{prefix}: {count} problem{'s' if count != 1 else ''}: {shown}"


# --- exchange folders ------------------------------------------------------------------------


def check_folders(ctx: Context) -> Check:
    """The exchange root exists, every contract folder is writable by this user, and all are
    on one file system (the hand-overs are renames)."""
    from agent.doctor.wiring import exchange_layout

    assert ctx.config is not None
    root = ctx.config.exchange.root
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        return error("exchange-folders", f"the exchange root {root} {what}",
                     _FOLDER_FIX.format(path=root), root=str(root))
    layout = exchange_layout(ctx.config)
    folders = [root, *(p for organ, _ in layout.every() for p in organ.all())]
    problems, missing = _folder_problems(root, folders)
    details = {"root": str(root), "missing": [str(p) for p in missing]}
    if problems:
        return error("exchange-folders", "; ".join(problems),
                     "give the folders to the service user (chown -R lienthong:lienthong"
                     f" {root}; chmod -R u+rwX,g+rwX {root}) and keep them on one file system",
                     **details)
    note = f"; {len(missing)} folder(s) missing, created at start-up" if missing else ""
    return ok("exchange-folders", f"{root}: every folder writable, one file system{note}",
              **details)


def _folder_problems(root: Path, folders: list[Path]) -> tuple[list[str], list[Path]]:
    device = root.stat().st_dev
    problems: list[str] = []
    missing: list[Path] = []
    for folder in dict.fromkeys(folders):
        if not folder.exists():
            missing.append(folder)
            continue
        if not folder.is_dir():
            problems.append(f"{folder} is not a folder")
        elif (reason := _not_writable(folder)) is not None:
            problems.append(f"{folder} is not writable by this user ({reason})")
        elif folder.stat().st_dev != device:
            problems.append(f"{folder} is on another file system than {root}: renames between"
                            " them are not atomic")
    return problems, missing


def _not_writable(folder: Path) -> str | None:
    """Create and remove a temporary file (a name the agent's scanners ignore)."""
    from agent.files.atomic import temp_sibling

    probe = temp_sibling(folder / "doctor-probe")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        os.close(fd)
        probe.unlink()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


# --- the journal -----------------------------------------------------------------------------


def check_journal(ctx: Context) -> Check:
    """The journal opens beside a running daemon and passes SQLite's integrity check."""
    from agent.journal import SqliteJournal

    assert ctx.config is not None and ctx.config.journal.path is not None
    path = ctx.config.journal.path
    if not path.exists():
        return _no_journal_yet(path)
    try:
        journal = SqliteJournal.open(path, exclusive=False)
        try:
            problems = journal.integrity_problems()
        finally:
            journal.close()
    except (JournalError, StorageError) as exc:
        return error("journal", f"{path} cannot be used: {exc.message}",
                     exc.hint or "check the file's owner and mode (the service user reads and"
                     " writes it) and the free space of its file system", path=str(path))
    if problems:
        return error("journal", f"{path} is damaged: {'; '.join(problems[:3])}",
                     "stop the agent, keep a copy of the file, and restore the last backup (or"
                     " move it aside to start a fresh journal and reconcile the folders)",
                     path=str(path), problems=problems)
    return ok("journal", f"{path}: readable, integrity check passed", path=str(path))


def _no_journal_yet(path: Path) -> Check:
    parent = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if parent is None or not os.access(parent, os.W_OK | os.X_OK):
        return error("journal", f"there is no journal at {path} and {parent} is not writable,"
                     " so the agent cannot create it",
                     "create the state directory for the service user (StateDirectory= in the"
                     " unit does), or set journal.path", path=str(path))
    return warning("journal", f"there is no journal at {path} yet",
                   "the agent creates it when it first runs; if it has run, journal.path"
                   " points to the wrong place", path=str(path))
