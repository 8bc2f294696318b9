"""The typed model of edXML packages (QCVN 102:2016, AXIS.md §3–§4).

Frozen, keyword-only dataclasses whose **field order is the canonical element order** of AXIS.md
§3.2: the builder emits fields in declaration order and the parser maps elements back by name.
A field's element name is its Python name in CamelCase (``organ_id`` → ``OrganId``) unless the field
metadata says otherwise (:func:`wire`); ``tuple`` fields are either *repeated* elements
(``To`` 1..n) or a *wrapper* with items (``ToPlaces/Place*``, see :func:`wrapped`).

Value conventions:

* optional fields are ``None`` when the element is absent; an empty element parses as ``""``
  (for text) and as ``None`` for typed values (int, date, bool, timestamp);
* dates are :class:`datetime.date` (wire ``yyyy/MM/dd``), timestamps naive
  :class:`datetime.datetime` in Vietnam local time (wire ``yyyy/MM/dd HH:mm:ss``);
* text passes through verbatim (no stripping); fields whose meaning is unknown ([U] in AXIS.md:
  ``DocumentType.type``, ``steering_type``, ``direction``, ``paper``, ``receiver_type``...) are
  stored as read and never mapped to meanings here;
* ``content_id`` values are stored bare, without the ``cid:`` prefix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

QCVN_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
XLINK_NS = "http://www.w3.org/1999/xlink"


def wire(name: str) -> dict[str, Any]:
    """Field metadata: the element is called ``name`` on the wire (not the CamelCase default)."""
    return {"wire": name}


def wrapped(item: str, name: str | None = None) -> dict[str, Any]:
    """Field metadata: a tuple carried as ``<Wrapper><item/>...</Wrapper>``."""
    meta: dict[str, Any] = {"item": item}
    if name:
        meta["wire"] = name
    return meta


NOT_ON_WIRE: dict[str, Any] = {"wire": None}



# --- enumerations -------------------------------------------------------------------------------


class BusinessDocType(IntEnum):
    """``Bussiness/BussinessDocType`` (AXIS.md §3.3, §7)."""

    NEW = 0  # Văn bản điện tử mới
    RECALL = 1  # Thu hồi
    UPDATE = 2  # Cập nhật
    REPLACE = 3  # Văn bản thay thế

    @property
    def vietnamese(self) -> str:
        return _BUSINESS_VI[self]


_BUSINESS_VI = {
    BusinessDocType.NEW: "Văn bản điện tử mới",
    BusinessDocType.RECALL: "Thu hồi",
    BusinessDocType.UPDATE: "Cập nhật",
    BusinessDocType.REPLACE: "Văn bản thay thế",
}


class StatusCode(StrEnum):
    """The business receipt codes seen in practice (AXIS.md §4.2). Others are kept as strings."""

    ARRIVED = "01"
    REFUSED = "02"
    ACCEPTED = "03"
    ASSIGNED = "04"
    IN_PROGRESS = "05"
    FINISHED = "06"
    TAKE_BACK = "13"
    AGREED = "15"
    DISAGREED = "16"

    @property
    def vietnamese(self) -> str:
        return _STATUS_MEANINGS[self][0]

    @property
    def english(self) -> str:
        return _STATUS_MEANINGS[self][1]

    @classmethod
    def lookup(cls, code: str) -> StatusCode | None:
        """The known code for ``code``, or ``None`` for a code outside §4.2."""
        try:
            return cls(code)
        except ValueError:
            return None


_STATUS_MEANINGS = {
    StatusCode.ARRIVED: ("Đã đến", "arrived, not yet handled by the văn thư"),
    StatusCode.REFUSED: ("Từ chối tiếp nhận", "refused / returned by the văn thư"),
    StatusCode.ACCEPTED: ("Đã tiếp nhận", "accepted and entered in the incoming register"),
    StatusCode.ASSIGNED: ("Phân công", "assigned for handling"),
    StatusCode.IN_PROGRESS: ("Đang xử lý", "being processed"),
    StatusCode.FINISHED: ("Hoàn thành", "processing finished"),
    StatusCode.TAKE_BACK: ("Lấy lại", "the sender asks to take the document back"),
    StatusCode.AGREED: ("Đồng ý", "the recipient agrees to the update / take-back"),
    StatusCode.DISAGREED: ("Từ chối", "the recipient refuses the update / take-back"),
}


# --- MessageHeader (edoc, §3.2) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Organization:
    """``From`` / ``To``: an organisation identified by its mã định danh."""

    organ_id: str
    organization_in_charge: str | None = None
    organ_name: str | None = None
    organ_add: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentCode:
    """``Code``: số (``code_number``) and ký hiệu (``code_notation``)."""

    code_number: str | None = None
    code_notation: str | None = None

    @property
    def full(self) -> str:
        """Written together as "số/ký hiệu", e.g. ``412/STTTT-VP``."""
        return "/".join(p for p in (self.code_number, self.code_notation) if p)


@dataclass(frozen=True, slots=True, kw_only=True)
class PromulgationInfo:
    place: str | None = None
    promulgation_date: dt.date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentType:
    type: int | None = None  # 1 or 2 in practice; meaning unknown [U]
    type_detail: int | None = None
    type_name: str | None = None  # e.g. "Công văn"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerInfo:
    competence: str | None = None  # e.g. "KT. GIÁM ĐỐC"
    position: str | None = None
    full_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherInfo:
    priority: int | None = None  # 0 normal; 1-4 urgency levels [U]
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: int | None = None
    page_amount: int | None = None
    reply_fors: str | None = None
    direction: bool | None = None  # meaning unknown [U]
    reference_codes: str | None = None
    appendixes: tuple[str, ...] | None = field(default=None, metadata=wrapped("Appendix"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseFor:
    """The document this one answers (văn bản phúc đáp). The axis adds an empty one (§9)."""

    organ_id: str | None = None
    code: str | None = None
    document_id: str | None = None
    promulgation_date: dt.date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageHeader:
    """The edoc ``MessageHeader``, children in the canonical order of AXIS.md §3.2."""

    sender: Organization = field(metadata=wire("From"))
    recipients: tuple[Organization, ...] = field(metadata=wire("To"))
    document_id: str
    code: DocumentCode | None = None
    promulgation_info: PromulgationInfo | None = None
    document_type: DocumentType | None = None
    subject: str | None = None  # trích yếu
    content: str | None = None
    signer_info: SignerInfo | None = None
    due_date: dt.date | None = None
    other_info: OtherInfo | None = None
    response_for: tuple[ResponseFor, ...] = ()
    steering_type: int | None = None  # seen 0, 1, 2; meaning unknown [U]
    response_for_task: tuple[str, ...] | None = field(default=None, metadata=wrapped("TaskCode"))
    application_type: str | None = None
    to_places: tuple[str, ...] | None = field(default=None, metadata=wrapped("Place"))  # nơi nhận


# --- TraceHeaderList (§3.3) -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceHeader:
    organ_id: str | None = None
    timestamp: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffInfo:
    department: str | None = None
    department_id: str | None = None
    staff: str | None = None
    staff_id: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Receiver:
    organ_id: str | None = None
    receiver_type: str | None = None  # 0/1, codes unknown [U]


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessDocumentInfo:
    """Update only: which information and which recipients changed (codes [U])."""

    document_info: str | None = None
    document_receiver: str | None = None
    receivers: tuple[Receiver, ...] | None = field(
        default=None, metadata=wrapped("Receiver", "ReceiverList")
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplacementInfo:
    """Replace only: a replaced document and the recipients it is replaced for."""

    document_id: str | None = None
    organ_ids: tuple[str, ...] | None = field(
        default=None, metadata=wrapped("OrganId", "OrganIdList")
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Business:
    """``Bussiness`` (double s on the wire): what this package does to which document."""

    document_id: str | None = None
    business_doc_type: BusinessDocType = field(metadata=wire("BussinessDocType"))
    business_doc_reason: str | None = field(default=None, metadata=wire("BussinessDocReason"))
    paper: int | None = None  # 0/1, whether a paper copy follows [I]
    staff_info: StaffInfo | None = None
    business_document_info: BusinessDocumentInfo | None = field(
        default=None, metadata=wire("BussinessDocumentInfo")
    )
    replacements: tuple[ReplacementInfo, ...] | None = field(
        default=None, metadata=wrapped("ReplacementInfo", "ReplacementInfoList")
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceHeaderList:
    trace_headers: tuple[TraceHeader, ...] = field(default=(), metadata=wire("TraceHeader"))
    business: Business | None = field(default=None, metadata=wire("Bussiness"))


# --- manifest and attachments (§3.4) --------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestReference:
    """One ``edXMLManifest/Reference``."""

    content_id: str
    content_type: str | None = None
    description: str | None = None
    attachment_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentInfo:
    """One ``AttachmentEncoded/Attachment`` as read: its metadata and the decoded payload's facts.

    ``size`` and ``sha256`` (hex) describe the decoded bytes that went to the sink.
    """

    content_id: str
    attachment_name: str | None = None
    description: str | None = None
    field_name: str | None = None
    mime_type: str | None = None
    content_type: str | None = None
    index: int = field(default=0, metadata=NOT_ON_WIRE)
    size: int = field(default=0, metadata=NOT_ON_WIRE)
    sha256: str = field(default="", metadata=NOT_ON_WIRE)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureInfo:
    """A ``Signature`` element found in the package. Recorded, never interpreted here.

    ``namespace`` is the xmldsig URI or the QCVN one (VNPT's library and the axis, §3.5, §9);
    ``path`` the local names of its ancestors; ``last_in_header`` whether it is the last element
    child of ``edXMLHeader`` (where §3.5 puts it).
    """

    namespace: str
    path: str
    last_in_header: bool

    @property
    def is_xmldsig(self) -> bool:
        return self.namespace == XMLDSIG_NS


# --- top-level packages ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EdocPackage:
    """A parsed edoc package: header, trace list, manifest, attachments, signatures."""

    header: MessageHeader
    trace_list: TraceHeaderList | None = None
    manifest: tuple[ManifestReference, ...] = ()
    attachments: tuple[AttachmentInfo, ...] = ()
    signatures: tuple[SignatureInfo, ...] = ()

    @property
    def business_doc_type(self) -> BusinessDocType | None:
        business = self.trace_list.business if self.trace_list else None
        return business.business_doc_type if business else None


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusResponseFor:
    """``ResponseFor`` of a status: the original document. Deliver the status to ``organ_id``."""

    organ_id: str
    code: str | None = None  # the full "số/ký hiệu", e.g. 412/STTTT-VP
    document_id: str
    promulgation_date: dt.date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusHeader:
    """The status ``MessageHeader`` (AXIS.md §4.1)."""

    sender: Organization = field(metadata=wire("From"))
    response_for: StatusResponseFor
    staff_info: StaffInfo | None = None
    status_code: str  # two digits; unknown codes kept verbatim
    description: str | None = None
    timestamp: dt.datetime | None = None

    @property
    def status(self) -> StatusCode | None:
        return StatusCode.lookup(self.status_code)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusPackage:
    header: StatusHeader
    signatures: tuple[SignatureInfo, ...] = ()
