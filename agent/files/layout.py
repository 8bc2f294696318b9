"""Where the exchange folders are.

One exchange root holds, per organ (``per_organ`` layout) or once for all (``shared`` layout), the
folders of the contract with the document system, plus the agent's own work area::

    <root>/<organ folder>/          per_organ layout (shared layout: directly under <root>)
        outbox/                     the DMS drops documents to send
        status-out/                 the DMS drops status updates (02-06, 15, 16) to send
        inbox/                      the agent delivers received documents, one folder each
        receipts/                   the agent keeps each sent document's status timeline
        sent/  failed/  quarantine/ the agent archives processed items
        .lienthong/                 the agent's work area: never touch it
            outbound/<claim>/       claimed outbox items, and their signed packages
            status-out/<claim>/     claimed status updates
            inbound/                received packages, spooled until settled

Everything sits on one file system, so every move is an atomic rename. Folder names are
configurable (``exchange.folders``); the work area name is fixed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import StorageError
from agent.files.atomic import disk_errors

WORK_AREA = ".lienthong"
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class FolderNames:
    """The names of the contract folders (``exchange.folders`` in the configuration)."""

    outbox: str = "outbox"
    status_out: str = "status-out"
    inbox: str = "inbox"
    receipts: str = "receipts"
    sent: str = "sent"
    failed: str = "failed"
    quarantine: str = "quarantine"

    def __post_init__(self) -> None:
        names = [self.outbox, self.status_out, self.inbox, self.receipts, self.sent,
                 self.failed, self.quarantine]
        bad = [n for n in names if not _PLAIN.fullmatch(n)]
        if bad or len(set(names)) != len(names):
            raise StorageError(f"unusable exchange folder names: {', '.join(bad) or names}",
                               hint="plain, distinct names: letters, digits, '_', '.', '-'")


@dataclass(frozen=True, slots=True)
class OrganFolders:
    """The folders of one organ (or of all organs, in the shared layout)."""

    base: Path
    names: FolderNames = field(default_factory=FolderNames)

    @property
    def outbox(self) -> Path:
        return self.base / self.names.outbox

    @property
    def status_out(self) -> Path:
        return self.base / self.names.status_out

    @property
    def inbox(self) -> Path:
        return self.base / self.names.inbox

    @property
    def receipts(self) -> Path:
        return self.base / self.names.receipts

    @property
    def sent(self) -> Path:
        return self.base / self.names.sent

    @property
    def failed(self) -> Path:
        return self.base / self.names.failed

    @property
    def quarantine(self) -> Path:
        return self.base / self.names.quarantine

    @property
    def work(self) -> Path:
        return self.base / WORK_AREA

    @property
    def work_outbound(self) -> Path:
        return self.work / "outbound"

    @property
    def work_status_out(self) -> Path:
        return self.work / "status-out"

    @property
    def spool(self) -> Path:
        return self.work / "inbound"

    def all(self) -> tuple[Path, ...]:
        return (self.outbox, self.status_out, self.inbox, self.receipts, self.sent,
                self.failed, self.quarantine, self.work_outbound, self.work_status_out,
                self.spool)

    def ensure(self) -> None:
        """Create every folder that is missing (start-up)."""
        with disk_errors("create the exchange folders"):
            for path in self.all():
                path.mkdir(parents=True, exist_ok=True)


class ExchangeLayout:
    """Maps each organ this agent serves to its folders.

    ``organ_folders`` maps organ code to folder name under ``root`` (``per_organ`` layout);
    ``None`` means the ``shared`` layout, where every organ uses the folders under ``root``.
    """

    def __init__(
        self, root: Path, organ_folders: Mapping[str, str] | None,
        names: FolderNames | None = None,
    ) -> None:
        self.root = root
        self.names = names or FolderNames()
        self._folders = dict(organ_folders) if organ_folders is not None else None
        for organ, folder in (self._folders or {}).items():
            if not _PLAIN.fullmatch(folder) or folder == WORK_AREA:
                raise StorageError(f"organ {organ}: unusable folder name {folder!r}",
                                   hint="a plain name: letters, digits, '_', '.', '-'")

    @property
    def shared(self) -> bool:
        return self._folders is None

    def folders(self, organ_id: str) -> OrganFolders:
        """The folders of ``organ_id``; StorageError for an organ this agent does not serve."""
        if self._folders is None:
            return OrganFolders(self.root, self.names)
        folder = self._folders.get(organ_id)
        if folder is None:
            raise StorageError(f"this agent has no exchange folders for organ {organ_id}")
        return OrganFolders(self.root / folder, self.names)

    def every(self) -> list[tuple[OrganFolders, tuple[str, ...]]]:
        """Each distinct set of folders with the organs it serves (scan order)."""
        if self._folders is None:
            return [(OrganFolders(self.root, self.names), ())]
        return [(OrganFolders(self.root / f, self.names), (o,))
                for o, f in sorted(self._folders.items(), key=lambda item: item[1])]

    def ensure(self) -> None:
        for folders, _ in self.every():
            folders.ensure()

