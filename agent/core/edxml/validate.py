"""Rule checks on a parsed package, at a chosen strictness (AXIS.md §12.9, §14).

The parser only refuses what routing and correlation cannot do without. :func:`validate` reports
the rest as a list of :class:`Problem`\\ s; the sandbox and ``edxml inspect`` choose the level:

* ``off``: nothing;
* ``bkav``: the rules a Bkav hub enforces (§3.2, §4.1): ``From/OrganName``, ``Code`` (số and ký
  hiệu), ``PromulgationInfo/PromulgationDate``, ``Subject``, ``DocumentType/Type`` 1 or 2,
  ``Priority`` 0–4, non-negative amounts, no duplicate ``To/OrganId``, ``Bussiness`` present;
  for a status, ``ResponseFor/Code`` and a two-digit ``StatusCode``;
* ``strict``: ``bkav`` plus warnings: organ codes against the strict regex of §8.1, unknown
  status codes, attachment names the receiver will refuse or rename.

No length limits are applied: the normative ones are unknown (§14).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from agent.core.edxml.model import EdocPackage, MessageHeader, StatusPackage
from agent.core.edxml.names import safe_attachment_name
from agent.errors import UnsafeAttachmentNameError

ORGAN_ID_STRICT = re.compile(r"(?P<l4>\d{3})\.(?P<l3>\d{2})\.(?P<l2>\d{2})\.(?P<l1>[A-Z]\d{2})")
_STATUS_CODE = re.compile(r"\d{2}")
_HEADER = "MessageHeader"


class ValidationLevel(StrEnum):
    OFF = "off"
    BKAV = "bkav"
    STRICT = "strict"


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Literal["error", "warning"]
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message}"


def validate(
    package: EdocPackage | StatusPackage, level: ValidationLevel | str = ValidationLevel.BKAV
) -> list[Problem]:
    """The problems of ``package`` at ``level``; errors first, in document order."""
    level = ValidationLevel(level)
    if level is ValidationLevel.OFF:
        return []
    if isinstance(package, StatusPackage):
        found = list(_status_rules(package, level))
    else:
        found = list(_edoc_rules(package, level))
    return sorted(found, key=lambda p: p.severity != "error")


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def _error(path: str, message: str) -> Problem:
    return Problem("error", path, message)


def _warning(path: str, message: str) -> Problem:
    return Problem("warning", path, message)


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


# --- edoc -----------------------------------------------------------------------------------------


def _edoc_rules(package: EdocPackage, level: ValidationLevel) -> Iterator[Problem]:
    header = package.header
    yield from _sender_and_recipients(header)
    yield from _document_fields(header)
    yield from _other_info(header)
    if package.business_doc_type is None:
        yield _error("TraceHeaderList/Bussiness", "is missing: the business type is unknown")
    if level is ValidationLevel.STRICT:
        yield from _edoc_organ_codes(package)
        yield from _attachment_names(package)


def _sender_and_recipients(header: MessageHeader) -> Iterator[Problem]:
    if _blank(header.sender.organ_name):
        yield _error(f"{_HEADER}/From/OrganName", "is required")
    seen: set[str] = set()
    for i, to in enumerate(header.recipients):
        if to.organ_id in seen:
            yield _error(f"{_HEADER}/To[{i + 1}]/OrganId", f"{to.organ_id} is listed twice")
        seen.add(to.organ_id)


def _document_fields(header: MessageHeader) -> Iterator[Problem]:
    code = header.code
    if code is None or _blank(code.code_number):
        yield _error(f"{_HEADER}/Code/CodeNumber", "(số) is required")
    if code is None or _blank(code.code_notation):
        yield _error(f"{_HEADER}/Code/CodeNotation", "(ký hiệu) is required")
    info = header.promulgation_info
    if info is None or info.promulgation_date is None:
        yield _error(f"{_HEADER}/PromulgationInfo/PromulgationDate", "is required")
    if _blank(header.subject):
        yield _error(f"{_HEADER}/Subject", "(trích yếu) is required")
    doc_type = header.document_type.type if header.document_type else None
    if doc_type not in (1, 2):
        yield _error(f"{_HEADER}/DocumentType/Type", f"must be 1 or 2, not {doc_type}")


def _other_info(header: MessageHeader) -> Iterator[Problem]:
    other = header.other_info
    if other is None:
        return
    if other.priority is not None and not 0 <= other.priority <= 4:
        yield _error(f"{_HEADER}/OtherInfo/Priority", f"must be 0-4, not {other.priority}")
    for name in ("promulgation_amount", "page_amount"):
        value = getattr(other, name)
        if value is not None and value < 0:
            wire = "".join(w.title() for w in name.split("_"))
            yield _error(f"{_HEADER}/OtherInfo/{wire}", f"cannot be negative ({value})")


def _edoc_organ_codes(package: EdocPackage) -> Iterator[Problem]:
    header = package.header
    yield from _organ_code(f"{_HEADER}/From/OrganId", header.sender.organ_id)
    for i, to in enumerate(header.recipients):
        yield from _organ_code(f"{_HEADER}/To[{i + 1}]/OrganId", to.organ_id)
    for i, rf in enumerate(header.response_for):
        yield from _organ_code(f"{_HEADER}/ResponseFor[{i + 1}]/OrganId", rf.organ_id)
    traces = package.trace_list.trace_headers if package.trace_list else ()
    for i, trace in enumerate(traces):
        yield from _organ_code(f"TraceHeaderList/TraceHeader[{i + 1}]/OrganId", trace.organ_id)


def _organ_code(path: str, value: str | None) -> Iterator[Problem]:
    if value and not ORGAN_ID_STRICT.fullmatch(value):
        yield _warning(path, f"{value!r} does not match the mã định danh pattern LLL.KK.JJ.XNN")


def _attachment_names(package: EdocPackage) -> Iterator[Problem]:
    for a in package.attachments:
        path = f"AttachmentEncoded/Attachment[{a.index + 1}]/AttachmentName"
        try:
            safe = safe_attachment_name(a.attachment_name or "")
        except UnsafeAttachmentNameError as exc:
            yield _warning(path, f"will be refused by receivers: {exc.message}")
            continue
        if safe != a.attachment_name:
            yield _warning(path, f"will be delivered as {safe!r}")


# --- status ---------------------------------------------------------------------------------------


def _status_rules(package: StatusPackage, level: ValidationLevel) -> Iterator[Problem]:
    header = package.header
    if _blank(header.response_for.code):
        yield _error(f"{_HEADER}/ResponseFor/Code", "(số/ký hiệu) is required")
    if not _STATUS_CODE.fullmatch(header.status_code):
        yield _error(f"{_HEADER}/StatusCode", f"{header.status_code!r} is not two digits")
    if level is ValidationLevel.STRICT:
        if header.status is None and _STATUS_CODE.fullmatch(header.status_code):
            yield _warning(f"{_HEADER}/StatusCode", f"{header.status_code} is not a known code")
        if header.timestamp is None:
            yield _warning(f"{_HEADER}/Timestamp", "is missing")
        yield from _organ_code(f"{_HEADER}/From/OrganId", header.sender.organ_id)
        yield from _organ_code(f"{_HEADER}/ResponseFor/OrganId", header.response_for.organ_id)

