"""``send``: checking items and handing them over to an outbox, as docs/folder-contract.md says.

Each item is checked first with the daemon's own readers (the metadata loader of
:mod:`agent.files.metadata`, the edXML parser and the outgoing package checks, the sender
rules of :class:`~agent.services.organs.OrganRouter`), so an item the agent would put in
``failed/`` is refused before it leaves. Then it is copied under a hidden name in the outbox
(``.<name>.sending-<hex>``, ignored by the agent and never removed by it), every file and
directory fsynced, and published with one rename (a ready package: one hard link, which refuses
to replace anything). Run as root, the copy is given to the outbox's owner so that the agent can
move it.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import ExchangeItemError, LienthongError
from agent.files.atomic import CHUNK, disk_errors, fsync_dir, remove_tree
from agent.files.pickup import ItemKind, classify, is_ignored

if TYPE_CHECKING:
    from agent.config import AgentConfig
    from agent.files.layout import OrganFolders
    from agent.services.organs import OrganRouter

Advance = Callable[[int], None]


class SendUsageError(LienthongError):
    """The command line cannot work with this configuration (exit 2)."""

    code = "send.usage"


@dataclass
class Item:
    """One ITEM of the command line and what became of it."""

    source: Path
    size: int = 0
    outbox_path: Path | None = None
    ref: str | None = None
    state: str = "checked"
    axis_doc_id: str | None = None
    archive: Path | None = None
    error: dict[str, Any] | None = None
    claim_id: str | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.source.name

    def refuse(self, error: LienthongError, state: str = "refused") -> None:
        from agent.files.archive import error_report

        self.state = state
        self.error = error_report(error, self.name, dt.datetime.now(dt.UTC))

    def json(self) -> dict[str, Any]:
        return {"item": str(self.source), "outbox_path": _text(self.outbox_path),
                "ref": self.ref, "state": self.state, "axis_doc_id": self.axis_doc_id,
                "error": self.error, "archive": _text(self.archive), "bytes": self.size}


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


@dataclass(frozen=True)
class Target:
    """The sender organ's folders and the daemon's rules for what it accepts."""

    organ: str
    folders: OrganFolders
    folder_organ: str | None  # None in the shared layout: the item names its sender
    config: AgentConfig
    router: OrganRouter

    @property
    def ignore(self) -> tuple[str, ...]:
        return tuple(self.config.pickup.ignore_patterns)


def target(config: AgentConfig, organ: str | None) -> Target:
    """The organ ``--organ`` names (default: the only one, or ``exchange.default_sender``)."""
    from agent.services.organs import OrganRouter, build_layout

    codes = [o.code for o in config.organs]
    chosen = organ or (codes[0] if len(codes) == 1 else config.exchange.default_sender)
    if chosen is None or chosen not in codes:
        what = f"--organ {organ} is not" if organ else "no --organ given and no"
        raise SendUsageError(f"{what} an organ of this agent (exchange.default_sender unset);"
                             f" choose one with --organ: {', '.join(codes)}")
    if not is_ignored(".x.sending-0", config.pickup.ignore_patterns):
        raise SendUsageError("pickup.ignore_patterns does not ignore hidden names ('.*'): the"
                             " agent could take an item while it is being copied")
    layout = build_layout(config)
    return Target(chosen, layout.folders(chosen), None if layout.shared else chosen, config,
                  OrganRouter(config, layout))


# --- checks ----------------------------------------------------------------------------------


def check_all(items: Sequence[Item], where: Target) -> None:
    """Refuse what the agent would refuse; if one is refused, none is handed over ("held")."""
    seen: set[str] = set()
    for item in items:
        try:
            if item.name in seen:
                raise ExchangeItemError(f"two items are called '{item.name}'",
                                        hint="rename one: names must be distinct in the outbox")
            seen.add(item.name)
            item.size = check(item.source, where)
        except LienthongError as exc:
            item.refuse(exc)
    if any(i.state == "refused" for i in items):
        held = ExchangeItemError("not handed over: another item was refused",
                                 hint="correct the refused items and run the same command again")
        for item in items:
            if item.state == "checked":
                item.refuse(held, "held")


def check(source: Path, where: Target) -> int:
    """Check one item; return its size in bytes. ExchangeItemError (or another
    LienthongError) says what the agent would object to."""
    name = source.name
    if not source.exists() or source.is_symlink():
        raise ExchangeItemError(f"{source} does not exist or is a symbolic link")
    if is_ignored(name, where.ignore):
        raise ExchangeItemError(f"the agent ignores items named like '{name}'",
                                hint="hidden, .tmp, .part and ~$ names are never picked up")
    kind = classify(source)
    if kind is ItemKind.FOLDER:
        _check_folder(source, where)
    elif kind is ItemKind.PACKAGE:
        _check_package(source, where)
    else:
        raise ExchangeItemError(f"'{name}' is neither an edXML package nor a document folder",
                                hint="a *.edxml / *.xml file, or a folder with metadata.yaml,"
                                " metadata.yml or metadata.json (docs/folder-contract.md §3)")
    final = where.folders.outbox / name
    if final.exists() or final.is_symlink():
        raise ExchangeItemError(f"'{name}' is already in the outbox {where.folders.outbox}",
                                hint="wait until the agent has taken it, or rename this item")
    return item_size(source)


def _check_folder(source: Path, where: Target) -> None:
    from agent.files.metadata import load_document_folder

    request = load_document_folder(
        source, max_metadata_bytes=where.config.limits.max_metadata_bytes, ignore=where.ignore)
    where.router.check_sender(where.folder_organ, request.metadata.sender)


def _check_package(source: Path, where: Target) -> None:
    from agent.core.edxml.parser import parse_edoc
    from agent.core.edxml.sinks import DiscardSink
    from agent.services.checks import check_outgoing
    from agent.services.limits import parse_limits

    with disk_errors(f"read {source.name}"), source.open("rb") as stream:
        package = parse_edoc(stream, DiscardSink(), limits=parse_limits(where.config))
    check_outgoing(where.config, package)
    where.router.check_sender(where.folder_organ, package.header.sender.organ_id)


def item_size(source: Path) -> int:
    """Bytes to copy; ExchangeItemError for anything but plain files and folders inside."""
    if source.is_file():
        return source.stat().st_size
    total = 0
    with disk_errors(f"read {source.name}"):
        for current, dirs, files in os.walk(source):
            for entry in [*dirs, *files]:
                path = Path(current) / entry
                if path.is_symlink() or not (path.is_dir() or path.is_file()):
                    raise ExchangeItemError(f"{path} is a symbolic link or a special file",
                                            hint="put plain files only in a document folder")
                total += path.stat().st_size if path.is_file() else 0
    return total


# --- hand-over -------------------------------------------------------------------------------


def hand_over(item: Item, outbox: Path, advance: Advance) -> None:
    """Copy the item under a hidden name, fsync it all, publish it with one rename."""
    hidden = outbox / f".{item.name}.sending-{secrets.token_hex(3)}"
    final = outbox / item.name
    owner = _owner(outbox)
    with disk_errors(f"hand {item.name} over"):
        try:
            _copy_tree(item.source, hidden, advance, owner)
            _publish(hidden, final)
        except BaseException:
            remove_tree(hidden)
            raise
    item.outbox_path, item.state = final, "handed-over"


def _owner(outbox: Path) -> tuple[int, int] | None:
    """Root hands the copy to the outbox's owner; anyone else keeps their own files."""
    if os.geteuid() != 0:
        return None
    stat = outbox.stat()
    return stat.st_uid, stat.st_gid


def _copy_tree(source: Path, target: Path, advance: Advance, owner: tuple[int, int] | None) -> None:
    if source.is_file():
        _copy_file(source, target, advance, owner)
        return
    made = [target]
    target.mkdir()
    for current, dirs, files in os.walk(source):
        here = target / Path(current).relative_to(source)
        for name in dirs:
            (here / name).mkdir()
            made.append(here / name)
        for name in files:
            _copy_file(Path(current) / name, here / name, advance, owner)
    for directory in reversed(made):
        if owner is not None:
            os.chown(directory, *owner)
        fsync_dir(directory)


def _copy_file(
    source: Path, target: Path, advance: Advance, owner: tuple[int, int] | None
) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    with open(source, "rb", opener=_no_follow) as src, \
            os.fdopen(os.open(target, flags, 0o644), "wb") as out:
        while chunk := src.read(CHUNK):
            out.write(chunk)
            advance(len(chunk))
        out.flush()
        if owner is not None:
            os.fchown(out.fileno(), *owner)
        os.fsync(out.fileno())


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC)


def _publish(hidden: Path, final: Path) -> None:
    if final.exists() or final.is_symlink():
        raise FileExistsError(errno.EEXIST, "already in the outbox", str(final))
    if hidden.is_dir():
        os.rename(hidden, final)
    else:
        os.link(hidden, final)  # refuses to replace an item that appeared meanwhile
        os.unlink(hidden)
    fsync_dir(final.parent)
