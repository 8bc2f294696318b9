"""What a ``status: FAIL`` answer means, and the typed error it becomes.

The national axis's numeric error codes are unknown (AXIS.md §5.5, §14); only ``"0"`` (success) is
confirmed. The default table is the one the Lạng Sơn LGSP façade documents, which the sandbox also
uses; a deployment can replace it (``axis.error_codes`` in the configuration). When a code is not in
the table, the ``ErrorDesc`` text (Vietnamese, usually without diacritics) is matched against known
phrases, so ``Don vi gui 002.00.20.H13 khong dung voi ma da dang ky: vxp.saas.03`` is still
recognised as "sender not registered for this system id".

Codes whose kind is :attr:`RejectionKind.AUTH` become :class:`~agent.errors.AxisAuthError`, every
other one :class:`~agent.errors.AxisRejectedError`; both carry ``error_code`` and ``error_desc``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from agent.core.rejection import LS_LGSP_CODES, ErrorCodeInfo, RejectionKind
from agent.errors import AxisAuthError, AxisRejectedError

# Phrases of ErrorDesc (folded: lower case, no diacritics) -> kind; first match wins.
DESC_PATTERNS: tuple[tuple[re.Pattern[str], RejectionKind], ...] = (
    (re.compile(r"sai system ?id|secret ?key|xac thuc|chu ky|khong co quyen|unauthori"),
     RejectionKind.AUTH),
    (re.compile(r"khong dung voi ma da dang ky|don vi gui (chua |khong )(duoc )?dang ky"),
     RejectionKind.SENDER_NOT_REGISTERED),
    (re.compile(r"don vi nhan (khong ton tai|khong tim thay)|khong tim thay don vi nhan"),
     RejectionKind.UNKNOWN_RECIPIENT),
    (re.compile(r"don vi nhan da (bi )?khoa"), RejectionKind.RECIPIENT_LOCKED),
    (re.compile(r"format|dinh dang|edxml|file khong hop le"), RejectionKind.BAD_PACKAGE),
    (re.compile(r"loi he thong|system error|internal error"), RejectionKind.SERVER_ERROR),
    (re.compile(r"khong tim thay|not found"), RejectionKind.NOT_FOUND),
)

HINTS: Mapping[RejectionKind, str] = MappingProxyType(
    {
        RejectionKind.AUTH: "check axis.systemid and the secret credential: they must be the "
        "pair the axis operator issued",
        RejectionKind.BAD_PACKAGE: "the axis found the package malformed; inspect it with "
        "'lienthong-agent edxml inspect'",
        RejectionKind.UNKNOWN_RECIPIENT: "check the recipient's mã định danh against the axis "
        "directory (getAgenciesList)",
        RejectionKind.SENDER_NOT_REGISTERED: "the sender (From) must be this system id or an "
        "organ registered under it (registerAgency)",
        RejectionKind.RECIPIENT_LOCKED: "the recipient is locked on the axis; contact the axis "
        "operator",
        RejectionKind.SERVER_ERROR: "an error inside the axis; the agent tries again later",
        RejectionKind.NOT_FOUND: "the document or unit is unknown to the axis (already "
        "acknowledged, or another system's)",
    }
)

# An authentication refusal blaming the request's timestamp is a clock problem, not a secret one.
CLOCK_PATTERN = re.compile(r"timestamp|skew|thoi gian|dong ho|clock")
CLOCK_HINT = ("the axis says this machine's clock is too far from its own: check the system clock "
              "and its time synchronisation (timedatectl, NTP)")

_MAX_DESC = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True, slots=True)
class ErrorCodeTable:
    """ErrorCode -> meaning; configurable, LS-LGSP by default."""

    codes: Mapping[str, ErrorCodeInfo] = field(default_factory=lambda: LS_LGSP_CODES)

    def kind_of(self, code: str, desc: str) -> RejectionKind:
        """The kind of a rejection: by code if the table knows it, else by the description."""
        info = self.codes.get(code)
        if info is not None:
            return info.kind
        folded = fold_vietnamese(desc)
        for pattern, kind in DESC_PATTERNS:
            if pattern.search(folded):
                return kind
        return RejectionKind.OTHER

    def rejection(self, operation: str, code: str, desc: str) -> AxisRejectedError:
        """The typed error for a FAIL answer, with a message a văn thư can act on."""
        clean = clean_desc(desc)
        kind = self.kind_of(code, clean)
        info = self.codes.get(code)
        meaning = f" “{info.meaning}”" if info is not None else ""
        said = f": {clean}" if clean else ""
        message = f"the axis refused {operation} with ErrorCode {code or '(none)'}{meaning}{said}"
        hint = HINTS.get(kind)
        if kind is RejectionKind.AUTH and CLOCK_PATTERN.search(fold_vietnamese(clean)):
            hint = CLOCK_HINT
        error_type = AxisAuthError if kind is RejectionKind.AUTH else AxisRejectedError
        return error_type(message, error_code=code, error_desc=clean, hint=hint)


def fold_vietnamese(text: str) -> str:
    """Lower case without diacritics (``Đơn vị nhận`` -> ``don vi nhan``), for phrase matching."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


def clean_desc(desc: str) -> str:
    """An ErrorDesc safe for one log line: control characters collapsed, length capped."""
    text = _CONTROL.sub(" ", desc).strip()
    return text if len(text) <= _MAX_DESC else text[:_MAX_DESC] + "…"
