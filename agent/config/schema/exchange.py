"""``organs``, ``exchange``, ``pickup``: who this agent serves, the folder contract with the DMS."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, model_validator

from agent.config.schema.base import (
    ConfigPath,
    Seconds,
    Section,
    Text,
    matching,
    setting,
)

#: A folder name directly under the exchange root: no separators, no dot files.
FolderName = Annotated[
    str,
    matching(
        r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}",
        "a folder name is a plain name (letters, digits, '_', '.', '-'; no '/', not starting"
        " with '.' or '-', at most 64 characters)",
    ),
]
#: A mã định danh. The strict form is LLL.KK.JJ.XNN; real registries hold odd ones, so only dotted
#: alphanumeric fields are required here and ``doctor`` warns about non-standard codes.
Email = Annotated[str, matching(r"[^@\s]+@[^@\s]+\.[^@\s]+", "not an email address")]
OrganCode = Annotated[
    str,
    Field(max_length=64),
    matching(
        r"[0-9A-Za-z]+(\.[0-9A-Za-z]+)+",
        "an organ code (mã định danh) looks like 000.00.13.H53: dot-separated letters and digits",
    ),
]


class OrganSection(Section):
    """One organ (cơ quan, đơn vị) registered under this agent's system id."""

    code: OrganCode = setting(
        description="The organ's mã định danh as registered on the axis (LLL.KK.JJ.XNN,"
        " AXIS.md §8), used as 'From' on everything it sends.",
        example="000.00.13.H53",
    )
    name: Text = setting(
        description="The organ's official name (OrganName), e.g. 'Sở Thông tin và Truyền thông'.",
        example="Sở Thông tin và Truyền thông tỉnh Tây Ninh",
    )
    folder: FolderName | None = setting(
        None,
        description="With exchange.layout 'per_organ': the organ's folder under the exchange"
        " root. Empty: the organ code.",
        example="so-tttt",
    )
    organization_in_charge: str | None = setting(
        None,
        description="OrganizationInCharge: the superior body, e.g. 'UBND tỉnh Tây Ninh'.",
        example="UBND tỉnh Tây Ninh",
    )
    address: str | None = setting(
        None, description="OrganAdd: postal address.", example="Số 1, đường X, phường Y"
    )
    email: Email | None = setting(
        None, description="Email of the văn thư (records office).", example="vanthu@example.gov.vn"
    )
    telephone: str | None = setting(
        None, description="Telephone of the văn thư.", example="0276 3800 000"
    )
    fax: str | None = setting(None, description="Fax number, if any.", example="0276 3800 001")
    website: str | None = setting(
        None, description="Website address, if any.", example="https://example.gov.vn"
    )

    @property
    def folder_name(self) -> str:
        """The organ's folder name under the exchange root (per-organ layout)."""
        return self.folder or self.code


class Layout(StrEnum):
    """How the exchange folders are arranged when the agent serves several organs."""

    PER_ORGAN = "per_organ"
    SHARED = "shared"


class FolderNames(Section):
    """Names of the folders of the DMS contract, under the exchange root (or an organ's folder)."""

    outbox: FolderName = setting("outbox", description="Where the DMS drops documents to send.")
    status_out: FolderName = setting(
        "status-out", description="Where the DMS drops status updates (02-06, 15, 16) to send."
    )
    inbox: FolderName = setting(
        "inbox", description="Where the agent delivers received documents, one folder each."
    )
    receipts: FolderName = setting(
        "receipts", description="Where the agent keeps the status timeline of each sent document."
    )
    sent: FolderName = setting("sent", description="Where sent outbox items are archived.")
    failed: FolderName = setting(
        "failed", description="Where items that could not be sent go, with an error file."
    )
    quarantine: FolderName = setting(
        "quarantine",
        description="Where malformed or hostile received packages go, with the reason.",
    )

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        names = list(self.model_dump().values())
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"each folder needs its own name; used twice: {', '.join(duplicates)}")
        return self


class ExchangeSection(Section):
    """The folders shared with the document management system (QLVB&ĐH)."""

    root: ConfigPath = setting(
        Path("/srv/lienthong"),
        description="Exchange root shared with the DMS. It must be writable by the service"
        " (ReadWritePaths= in the unit) and on the same filesystem as all its subfolders, so"
        " that renames are atomic.",
    )
    layout: Layout = setting(
        Layout.PER_ORGAN,
        description="'per_organ': each organ has its own set of folders under"
        " <root>/<organ folder>/. 'shared': one set of folders under the root; the sender of an"
        " outbox item is its metadata's 'from' (or 'default_sender'), received documents say"
        " their recipient organ in document.json.",
    )
    default_sender: str | None = setting(
        None,
        description="With layout 'shared': the organ code used when an outbox item names no"
        " sender. Empty: the item must name one. Must be one of 'organs'.",
        example="000.00.13.H53",
    )
    folders: FolderNames = setting(
        default_factory=FolderNames, description="Names of the contract folders."
    )


class PickupMode(StrEnum):
    """How the agent knows that an outbox item is complete."""

    ATOMIC_RENAME = "atomic_rename"
    QUIESCENCE = "quiescence"


class PickupSection(Section):
    """How outbox and status-out items are picked up."""

    mode: PickupMode = setting(
        PickupMode.ATOMIC_RENAME,
        description="'atomic_rename': the DMS writes each item under a name starting with '.' or"
        " ending in '.tmp'/'.part' and renames it into place when complete (the documented"
        " contract). 'quiescence': for producers that cannot rename, an item is taken once its"
        " size and modification times have not changed for 'quiescence_seconds'.",
    )
    quiescence_seconds: Seconds = setting(
        10.0,
        description="How long an item must stay unchanged before it is taken, in 'quiescence'"
        " mode (raise it for slow network shares).",
    )
    rescan_interval_seconds: Seconds = setting(
        60.0,
        description="Full rescan of the outbox folders, besides file-system notifications"
        " (inotify drops events on overflow and sees nothing on network filesystems).",
    )
    use_notifications: bool = setting(
        True,
        description="Watch the folders with inotify (watchdog) for low latency; off leaves the"
        " periodic rescan alone.",
    )
    ignore_patterns: list[str] = setting(
        default_factory=lambda: [".*", "*.tmp", "*.part", "~$*"],
        description="Glob patterns of names that are never picked up (items being written,"
        " editor lock files).",
    )


def check_default_sender(
    exchange: ExchangeSection, organs: list[OrganSection]
) -> list[tuple[str, str]]:
    """The shared layout's default sender must be an organ this agent serves."""
    codes = {organ.code for organ in organs}
    if exchange.default_sender is not None and exchange.default_sender not in codes:
        return [("exchange.default_sender", "must be the code of one of the 'organs'")]
    return []


def check_organs(organs: list[OrganSection]) -> list[tuple[str, str]]:
    """Organ codes and folders are unique."""
    problems = []
    for index, organ in enumerate(organs):
        earlier = organs[:index]
        if organ.code in {o.code for o in earlier}:
            problems.append((f"organs[{index}].code", f"'{organ.code}' is already listed above"))
        elif organ.folder_name in {o.folder_name for o in earlier}:
            problems.append(
                (f"organs[{index}].folder", f"'{organ.folder_name}' is already used above")
            )
    return problems
