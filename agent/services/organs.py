"""Which organs this agent serves, where their folders are, and who an item is from or for.

One agent serves every organ of ``organs[]`` under its system id (an LGSP-style deployment). In the
``per_organ`` layout each organ has its folders and the folder decides the sender of an outbox
item; in the ``shared`` layout the item names its sender (``from``) or the configured
``exchange.default_sender`` applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from agent.config.schema import AgentConfig, Layout, OrganSection
from agent.core.edxml.model import Organization
from agent.errors import ExchangeItemError
from agent.files.layout import ExchangeLayout, FolderNames, OrganFolders


def build_layout(config: AgentConfig) -> ExchangeLayout:
    """The exchange folders of the configuration."""
    names = FolderNames(**config.exchange.folders.model_dump())
    organ_folders = None
    if config.exchange.layout is Layout.PER_ORGAN:
        organ_folders = {organ.code: organ.folder_name for organ in config.organs}
    return ExchangeLayout(Path(config.exchange.root), organ_folders, names)


@dataclass(frozen=True, slots=True)
class FolderSet:
    """One set of exchange folders and the organ it belongs to (None: the shared layout)."""

    folders: OrganFolders
    organ_id: str | None


class OrganRouter:
    """Maps organs to folders and checks who an item may be from."""

    def __init__(self, config: AgentConfig, layout: ExchangeLayout) -> None:
        self._organs = {organ.code: organ for organ in config.organs}
        self._layout = layout
        self._default_sender = config.exchange.default_sender
        self.first = config.organs[0].code
        self.shared = layout.shared

    @property
    def served(self) -> frozenset[str]:
        return frozenset(self._organs)

    def serves(self, organ_id: str | None) -> bool:
        return organ_id is not None and organ_id in self._organs

    def folders(self, organ_id: str) -> OrganFolders:
        """The folders of an organ; for an organ this agent does not serve, the first one's (a
        misrouted item is quarantined there)."""
        return self._layout.folders(organ_id if organ_id in self._organs else self.first)

    def folder_sets(self) -> list[FolderSet]:
        """Every distinct set of folders (one per organ, or the shared one)."""
        return [FolderSet(folders, organs[0] if organs else None)
                for folders, organs in self._layout.every()]

    def organization(self, organ_id: str) -> Organization:
        """The full ``From`` of one of our organs, from the configuration."""
        organ: OrganSection | None = self._organs.get(organ_id)
        if organ is None:
            return Organization(organ_id=organ_id)
        return Organization(
            organ_id=organ.code, organization_in_charge=organ.organization_in_charge,
            organ_name=organ.name, organ_add=organ.address, email=organ.email,
            telephone=organ.telephone, fax=organ.fax, website=organ.website,
        )

    def provisional_sender(self, folder_organ: str | None, named: str | None) -> str:
        """The organ to register a picked-up item under before it is checked: never fails."""
        if folder_organ is not None:
            return folder_organ
        if named is not None and named in self._organs:
            return named
        return self._default_sender or self.first

    def check_sender(self, folder_organ: str | None, named: str | None) -> str:
        """The sender of an outbox item; ExchangeItemError when it names an organ that is not
        the folder's (per-organ layout) or not one this agent serves (shared layout)."""
        if folder_organ is not None:
            if named is not None and named != folder_organ:
                raise _sender_error(named, f"this is the outbox of {folder_organ}; drop it in"
                                    f" the outbox of {named}, or correct 'from'")
            return folder_organ
        sender = named or self._default_sender
        if sender is None:
            raise _sender_error(None, "name the sending organ in 'from' (shared layout, no"
                                " exchange.default_sender configured)")
        if sender not in self._organs:
            raise _sender_error(sender, f"this agent sends for {_codes(self._organs)} only")
        return sender


def _codes(codes: Iterable[str]) -> str:
    return ", ".join(sorted(codes))


def _sender_error(named: str | None, hint: str) -> ExchangeItemError:
    what = f"the sender {named}" if named else "no sender"
    problem = f"'from': {what} cannot be used"
    return ExchangeItemError(f"{what} cannot send from here", problems=(problem,), hint=hint)
