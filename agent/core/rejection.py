"""What kind of refusal an axis ``ErrorCode`` is (AXIS.md §5.5; the national codes are [U]).

The agent's reaction follows from the kind: ``server-error`` is retried later, ``auth`` stops and
alerts, the others send the item to ``failed/`` with the reason. The axis client maps codes to
kinds (``agent.axis.codes``); the configuration lets an operator override the table
(``axis.error_codes``), so both share this one enum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class RejectionKind(StrEnum):
    AUTH = "auth"
    BAD_PACKAGE = "bad-package"
    UNKNOWN_RECIPIENT = "unknown-recipient"
    SENDER_NOT_REGISTERED = "sender-not-registered"
    RECIPIENT_LOCKED = "recipient-locked"
    SERVER_ERROR = "server-error"
    NOT_FOUND = "not-found"
    BAD_PARAMETER = "bad-parameter"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ErrorCodeInfo:
    """What one ``ErrorCode`` means: its kind and its wording for the văn thư (with diacritics)."""

    kind: RejectionKind
    meaning: str


#: The table the Lạng Sơn LGSP façade documents (AXIS.md §5.5), which the sandbox also uses; the
#: national numeric codes are unknown ([U]), so this is the default of ``axis.error_codes``.
LS_LGSP_CODES: Mapping[str, ErrorCodeInfo] = MappingProxyType(
    {
        "10": ErrorCodeInfo(RejectionKind.BAD_PACKAGE, "File không hợp lệ"),
        "15": ErrorCodeInfo(RejectionKind.AUTH, "Sai SystemId hoặc SecretKey"),
        "18": ErrorCodeInfo(RejectionKind.UNKNOWN_RECIPIENT, "Đơn vị nhận không tồn tại"),
        "19": ErrorCodeInfo(RejectionKind.SENDER_NOT_REGISTERED, "Đơn vị gửi không đăng ký"),
        "20": ErrorCodeInfo(RejectionKind.SERVER_ERROR, "Lỗi hệ thống"),
        "21": ErrorCodeInfo(RejectionKind.SERVER_ERROR, "Lỗi xử lý file"),
        "22": ErrorCodeInfo(RejectionKind.BAD_PACKAGE, "Format edXML không đúng chuẩn"),
        "23": ErrorCodeInfo(RejectionKind.RECIPIENT_LOCKED, "Đơn vị nhận đã khoá"),
    }
)
