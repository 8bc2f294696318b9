"""The metadata file of a document folder (``metadata.yaml`` or ``metadata.json``): the schema.

Keys are English snake_case; docs/folder-contract.md gives the Vietnamese term and the edXML
element of each. Unknown keys are refused (a misspelt key would otherwise be silently ignored).
Numbers that are really codes (số, ký hiệu) must be written as strings: YAML reads ``0412`` as
an octal number.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import IntEnum
from typing import Annotated, Any, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    StringConstraints,
    model_validator,
)

OrganCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=64,
                      pattern=r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)+$"),
]
Text = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1)]
_WIRE_DATE = re.compile(r"(\d{4})/(\d{2})/(\d{2})")


def _date(value: Any) -> Any:
    """Accept ``2024-11-05`` (ISO, YAML dates) and ``2024/11/05`` (the edXML form)."""
    if isinstance(value, str) and (m := _WIRE_DATE.fullmatch(value.strip())):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    return value


Date = Annotated[dt.date, BeforeValidator(_date)]


class BusinessType(IntEnum):
    """``BussinessDocType``: what this document does (AXIS.md §3.3, §7)."""

    NEW = 0  # văn bản mới
    RECALL = 1  # thu hồi
    UPDATE = 2  # cập nhật
    REPLACE = 3  # thay thế


def _business_type(value: Any) -> Any:
    if isinstance(value, str) and value.strip().upper() in BusinessType.__members__:
        return BusinessType[value.strip().upper()]
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DocumentTypeMeta(_Model):
    name: Text  # TypeName, e.g. "Công văn"
    type: int = 1  # Type: 1 or 2 in practice, meaning unknown (AXIS.md §14)
    detail: int = 0  # TypeDetail


class PromulgationMeta(_Model):
    date: Date  # PromulgationDate: ngày ban hành
    place: Text | None = None  # Place: nơi ban hành


class SignerMeta(_Model):
    full_name: Text  # người ký
    position: Text | None = None  # chức vụ
    competence: Text | None = None  # thẩm quyền ký, e.g. "KT. GIÁM ĐỐC"


class StaffMeta(_Model):
    """StaffInfo: the văn thư who handles the document."""

    name: Text | None = None
    staff_id: Text | None = None
    department: Text | None = None
    department_id: Text | None = None
    email: Text | None = None
    mobile: Text | None = None


class ResponseForMeta(_Model):
    """A document this one answers (văn bản phúc đáp)."""

    organ_id: OrganCode
    document_id: Text
    code: Text | None = None  # "số/ký hiệu"
    date: Date | None = None


class ReplacementMeta(_Model):
    document_id: Text  # the replaced document
    organs: list[OrganCode] = Field(default_factory=list)  # empty: every recipient in 'to'


class BusinessMeta(_Model):
    type: Annotated[BusinessType, BeforeValidator(_business_type)] = BusinessType.NEW
    document_id: Text | None = None  # the document a recall / update / replace refers to
    reason: Text | None = None  # BussinessDocReason
    replaces: list[ReplacementMeta] = Field(default_factory=list)  # replace only
    changed_receivers: list[OrganCode] = Field(default_factory=list)  # update only

    @model_validator(mode="after")
    def _references(self) -> Self:
        if self.type is not BusinessType.NEW and not self.document_id:
            what = {BusinessType.RECALL: "a recall", BusinessType.UPDATE: "an update",
                    BusinessType.REPLACE: "a replacement"}[self.type]
            raise ValueError(f"{what} needs 'document_id': the DocumentId of the document it"
                             " refers to")
        if self.replaces and self.type is not BusinessType.REPLACE:
            raise ValueError("'replaces' is only for type 'replace'")
        return self


class AttachmentMeta(_Model):
    file: Text  # path inside the document folder
    name: Text | None = None  # the name the recipient sees; default: the file's name
    description: Text | None = None
    content_type: Text | None = None  # default: guessed from the extension


class DocumentMetadata(_Model):
    """Everything the DMS says about one document to send."""

    sender: OrganCode | None = Field(None, alias="from")
    to: list[OrganCode] = Field(min_length=1)
    number: Text  # số (CodeNumber)
    notation: Text  # ký hiệu (CodeNotation)
    subject: Text  # trích yếu
    document_type: DocumentTypeMeta
    promulgation: PromulgationMeta
    document_id: Text | None = None  # default: "<from>,<yyyy/MM/dd>,<số>/<ký hiệu>"
    content: Text | None = None
    signer: SignerMeta | None = None
    due_date: Date | None = None  # hạn xử lý
    priority: int = Field(0, ge=0)  # độ khẩn: 0 normal
    paper: bool = False  # a paper copy is also sent
    to_places: list[Text] = Field(default_factory=list)  # nơi nhận as printed
    steering_type: int | None = None
    sphere_of_promulgation: Text | None = None
    typer_notation: Text | None = None
    promulgation_amount: int | None = Field(None, ge=0)
    page_amount: int | None = Field(None, ge=0)
    response_for: list[ResponseForMeta] = Field(default_factory=list)
    business: BusinessMeta = Field(default_factory=BusinessMeta)
    staff: StaffMeta | None = None
    attachments: list[AttachmentMeta] | None = None  # omitted: every file in the folder

    @property
    def code(self) -> str:
        """"số/ký hiệu", e.g. ``412/STTTT-VP``."""
        return f"{self.number}/{self.notation}"

    def document_id_for(self, sender: str) -> str:
        """The DocumentId: given, the referenced one for a recall, else the convention."""
        if self.document_id:
            return self.document_id
        if self.business.type is BusinessType.RECALL and self.business.document_id:
            return self.business.document_id
        return f"{sender},{self.promulgation.date:%Y/%m/%d},{self.code}"


class StatusCodeOut(IntEnum):
    """The codes the DMS may send for a document it received (AXIS.md §4.2)."""

    REFUSED = 2
    ACCEPTED = 3
    ASSIGNED = 4
    IN_PROGRESS = 5
    FINISHED = 6
    TAKE_BACK = 13  # about a document this organ SENT: asks its recipients to give it back
    AGREED = 15
    DISAGREED = 16


def _status_code(value: Any) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


class StatusUpdate(_Model):
    """A status-out file: what the văn thư did with a received document."""

    document_id: Text  # the received document's DocumentId (document.json has it)
    code: Annotated[StatusCodeOut, BeforeValidator(_status_code)]
    description: Text | None = None
    staff: StaffMeta | None = None
    sender: OrganCode | None = Field(None, alias="from")  # our organ, shared layout only
    to: OrganCode | None = None  # the original sender, when the DocumentId is ambiguous
    time: AwareDatetime | None = None  # when the văn thư acted; default: when picked up

    @property
    def status_code(self) -> str:
        """The two-digit wire form, e.g. ``"03"``."""
        return f"{int(self.code):02d}"
