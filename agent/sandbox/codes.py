"""The sandbox's error-code table: what ``ErrorCode`` / ``ErrorDesc`` a FAIL answer carries.

Only success (``"0"``, ``"Thanh cong"``) is confirmed for the national axis (AXIS.md §5.5); its
numeric failure codes are unknown. By default the sandbox answers with the codes the Lạng Sơn LGSP
façade documents (0, 10, 15, 18, 19, 20, 21, 22, 23) and adds three of its own for conditions that
set does not name (24, 25, 26). Every entry can be replaced from a YAML file
(``--error-table FILE``) whose keys are the :class:`Failure` names::

    recipient_unknown: {code: "404", desc: "Khong tim thay don vi nhan"}

Descriptions are Vietnamese without diacritics, as the axis writes them; the sandbox appends the
detail (``": 000.00.99.H53"``) after the description.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from agent.errors import ConfigError, LienthongError


class Failure(StrEnum):
    """Every reason the sandbox can refuse a request, with a stable name used in the table file."""

    INVALID_FILE = "invalid_file"  # empty body, undecodable base64, hash-file mismatch, too big
    AUTH = "auth"  # unknown system id, wrong secret, malformed signature headers, clock skew
    RECIPIENT_UNKNOWN = "recipient_unknown"  # a To / ResponseFor organ is not registered
    SENDER_UNREGISTERED = "sender_unregistered"  # `from` is not the system nor one of its organs
    SYSTEM = "system"  # an unexpected error inside the sandbox
    FILE_PROCESSING = "file_processing"  # the package could not be stored
    EDXML_FORMAT = "edxml_format"  # not XML, not edXML, or fails the configured validation level
    RECIPIENT_LOCKED = "recipient_locked"  # a recipient organ is locked
    NOT_FOUND = "not_found"  # sandbox extension: no such docId for this caller, no such agency
    BAD_PARAMETER = "bad_parameter"  # sandbox extension: a parameter is missing or has a bad value
    CONFLICT = "conflict"  # sandbox extension: the agency belongs to another system


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    code: str
    desc: str


SUCCESS = ErrorEntry("0", "Thanh cong")

LS_LGSP_TABLE: Mapping[Failure, ErrorEntry] = MappingProxyType(
    {
        Failure.INVALID_FILE: ErrorEntry("10", "File khong hop le"),
        Failure.AUTH: ErrorEntry("15", "Sai SystemId hoac SecretKey"),
        Failure.RECIPIENT_UNKNOWN: ErrorEntry("18", "Don vi nhan khong ton tai"),
        Failure.SENDER_UNREGISTERED: ErrorEntry("19", "Don vi gui khong dang ky"),
        Failure.SYSTEM: ErrorEntry("20", "Loi he thong"),
        Failure.FILE_PROCESSING: ErrorEntry("21", "Loi xu ly file"),
        Failure.EDXML_FORMAT: ErrorEntry("22", "Format edXML khong dung chuan"),
        Failure.RECIPIENT_LOCKED: ErrorEntry("23", "Don vi nhan da khoa"),
        Failure.NOT_FOUND: ErrorEntry("24", "Khong tim thay"),
        Failure.BAD_PARAMETER: ErrorEntry("25", "Tham so khong hop le"),
        Failure.CONFLICT: ErrorEntry("26", "Don vi thuoc he thong khac"),
    }
)


@dataclass(frozen=True, slots=True)
class ErrorTable:
    """The codes in force; ``entries`` must name every :class:`Failure`."""

    entries: Mapping[Failure, ErrorEntry] = field(default_factory=lambda: LS_LGSP_TABLE)

    def entry(self, failure: Failure) -> ErrorEntry:
        return self.entries[failure]

    def rows(self) -> list[dict[str, str]]:
        """The table as documentation rows (``name``, ``code``, ``desc``), success first."""
        out = [{"name": "ok", "code": SUCCESS.code, "desc": SUCCESS.desc}]
        out += [{"name": f.value, "code": e.code, "desc": e.desc} for f, e in self.entries.items()]
        return out


class Refusal(LienthongError):
    """Raised inside an operation: answer ``FAIL`` with the code of ``failure``."""

    code = "sandbox.refused"

    def __init__(self, failure: Failure, detail: str = "") -> None:
        super().__init__(f"{failure.value}: {detail}" if detail else failure.value)
        self.failure = failure
        self.detail = detail


def envelope_ok(**keys: object) -> dict[str, object]:
    """The success envelope plus the operation's keys."""
    return {"status": "OK", "ErrorCode": SUCCESS.code, "ErrorDesc": SUCCESS.desc, **keys}


def envelope_fail(table: ErrorTable, failure: Failure, detail: str = "") -> dict[str, object]:
    """``{"status": "FAIL", "ErrorCode": ..., "ErrorDesc": "<desc>: <detail>"}``."""
    entry = table.entry(failure)
    desc = f"{entry.desc}: {detail}" if detail else entry.desc
    return {"status": "FAIL", "ErrorCode": entry.code, "ErrorDesc": desc}


def error_table_from_mapping(data: object, *, where: str = "error table") -> ErrorTable:
    """Overlay ``data`` (parsed YAML: ``{name: {code, desc}}``) on the LS-LGSP defaults."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"At '{where}': expected a mapping of failure names to {{code, desc}}")
    entries = dict(LS_LGSP_TABLE)
    for name, value in data.items():
        try:
            failure = Failure(str(name))
        except ValueError:
            known = ", ".join(f.value for f in Failure)
            raise ConfigError(
                f"At '{where}.{name}': unknown failure name (known: {known})"
            ) from None
        if not isinstance(value, Mapping) or "code" not in value:
            raise ConfigError(f"At '{where}.{name}': expected {{code: ..., desc: ...}}")
        code = str(value["code"])
        if code == SUCCESS.code:
            raise ConfigError(f"At '{where}.{name}.code': \"0\" means success; pick another code")
        entries[failure] = ErrorEntry(code, str(value.get("desc", entries[failure].desc)))
    return ErrorTable(MappingProxyType(entries))
