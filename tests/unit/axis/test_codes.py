"""FAIL answers become typed, operator-readable errors (axis.codes)."""

from __future__ import annotations

import pytest

from agent.axis.codes import (
    LS_LGSP_CODES,
    ErrorCodeInfo,
    ErrorCodeTable,
    RejectionKind,
    clean_desc,
    fold_vietnamese,
)
from agent.core.retry import Outcome, RetryPolicy, classify
from agent.errors import AxisAuthError, AxisRejectedError

TABLE = ErrorCodeTable()


@pytest.mark.parametrize(
    ("code", "kind", "meaning"),
    [
        ("10", RejectionKind.BAD_PACKAGE, "File không hợp lệ"),
        ("15", RejectionKind.AUTH, "Sai SystemId hoặc SecretKey"),
        ("18", RejectionKind.UNKNOWN_RECIPIENT, "Đơn vị nhận không tồn tại"),
        ("19", RejectionKind.SENDER_NOT_REGISTERED, "Đơn vị gửi không đăng ký"),
        ("20", RejectionKind.SERVER_ERROR, "Lỗi hệ thống"),
        ("21", RejectionKind.SERVER_ERROR, "Lỗi xử lý file"),
        ("22", RejectionKind.BAD_PACKAGE, "Format edXML không đúng chuẩn"),
        ("23", RejectionKind.RECIPIENT_LOCKED, "Đơn vị nhận đã khoá"),
    ],
)
def test_ls_lgsp_codes(code: str, kind: RejectionKind, meaning: str) -> None:
    """The default table is LS-LGSP's (§5.5); the message quotes the meaning with diacritics."""
    error = TABLE.rejection("sendEdoc", code, "Don vi nhan khong ton tai")
    assert TABLE.kind_of(code, "") is kind
    assert f"ErrorCode {code} “{meaning}”" in error.message
    assert error.error_code == code and error.error_desc == "Don vi nhan khong ton tai"
    assert isinstance(error, AxisAuthError) == (kind is RejectionKind.AUTH)


def test_wrong_credentials_code_is_an_auth_error_with_a_hint() -> None:
    """Code 15 raises AxisAuthError whose hint points at the credentials."""
    error = TABLE.rejection("getReceivedEdocList", "15", "Sai SystemId hoac SecretKey")
    assert isinstance(error, AxisAuthError)
    assert error.hint is not None and "secret" in error.hint


def test_an_auth_refusal_blaming_the_timestamp_points_at_the_clock() -> None:
    """Code 15 whose description is about the request's timestamp is a clock problem: the hint
    says to check the clock, not the secret."""
    error = TABLE.rejection("sendEdoc", "15", "Sai SystemId hoac SecretKey: timestamp skew check: "
                            "'24112026T150915+0980' is 7199 s away from the server clock")
    assert isinstance(error, AxisAuthError)
    assert error.hint is not None and "clock" in error.hint and "secret" not in error.hint


@pytest.mark.parametrize(
    ("desc", "kind"),
    [
        ("Don vi gui 002.00.20.H13 khong dung voi ma da dang ky: vxp.saas.03",
         RejectionKind.SENDER_NOT_REGISTERED),
        ("Đơn vị nhận không tồn tại: 000.00.99.H53", RejectionKind.UNKNOWN_RECIPIENT),
        ("Sai SystemId hoac SecretKey", RejectionKind.AUTH),
        ("Loi he thong", RejectionKind.SERVER_ERROR),
        ("Format edXML khong dung chuan", RejectionKind.BAD_PACKAGE),
        ("Don vi nhan da khoa", RejectionKind.RECIPIENT_LOCKED),
        ("Khong tim thay", RejectionKind.NOT_FOUND),
        ("something new", RejectionKind.OTHER),
    ],
)
def test_unknown_codes_are_recognised_by_their_vietnamese_description(
    desc: str, kind: RejectionKind
) -> None:
    """A code missing from the table is classified by its ErrorDesc, with or without diacritics."""
    assert TABLE.kind_of("9999", desc) is kind


def test_sender_mismatch_message_reads_well() -> None:
    """The real §5.5 rejection yields a message and a hint a văn thư can act on."""
    desc = "Don vi gui 002.00.20.H13 khong dung voi ma da dang ky: vxp.saas.03"
    error = TABLE.rejection("sendEdoc", "-1", desc)
    assert type(error) is AxisRejectedError
    assert error.message == f"the axis refused sendEdoc with ErrorCode -1: {desc}"
    assert error.hint is not None and "registerAgency" in error.hint


def test_the_table_is_configurable() -> None:
    """A deployment can map its own codes, e.g. a national auth code."""
    table = ErrorCodeTable({"401": ErrorCodeInfo(RejectionKind.AUTH, "Không xác thực")})
    assert isinstance(table.rejection("getEdoc", "401", ""), AxisAuthError)
    assert not isinstance(table.rejection("getEdoc", "15", "x"), AxisAuthError)


def test_hostile_descriptions_are_cleaned() -> None:
    """Control characters (log injection) are collapsed and the length is capped."""
    assert clean_desc("a\r\nFAKE LOG LINE\x1b[31m") == "a FAKE LOG LINE [31m"
    assert len(clean_desc("x" * 10_000)) == 301
    error = TABLE.rejection("getEdoc", "", "\n")
    assert error.message == "the axis refused getEdoc with ErrorCode (none)"


def test_fold_vietnamese() -> None:
    """Diacritics and đ are removed, case and spaces normalised."""
    assert fold_vietnamese("  Đơn  vị NHẬN đã khoá ") == "don vi nhan da khoa"


def test_retry_policy_retries_exactly_the_server_error_codes() -> None:
    """RetryPolicy's default retryable codes are the table's SERVER_ERROR codes."""
    server = {c for c, info in LS_LGSP_CODES.items() if info.kind is RejectionKind.SERVER_ERROR}
    assert RetryPolicy().retryable_codes == server
    for code in LS_LGSP_CODES:
        outcome = classify(TABLE.rejection("sendEdoc", code, ""))
        expected = (Outcome.RETRY if code in server else
                    Outcome.AUTH if code == "15" else Outcome.GIVE_UP)
        assert outcome is expected
