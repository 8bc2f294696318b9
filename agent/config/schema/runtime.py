"""Sections about the agent's own behaviour: receipts, journal, limits, logs, metrics, shutdown."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Self

from pydantic import field_validator, model_validator

from agent.config.schema.base import ConfigPath, Seconds, Section, Text, key_error, setting


class AnswerPolicy(StrEnum):
    """How a recall (thu hồi), update (cập nhật) or take-back request (status 13) is answered."""

    MANUAL = "manual"
    ACCEPT = "accept"
    REFUSE = "refuse"


class StaffSection(Section):
    """The StaffInfo written on receipts the agent sends by itself."""

    department: str = setting("Văn thư", description="Department (Department).")
    staff: str = setting(
        "lienthong-agent", description="Person or system named as the sender (Staff)."
    )
    email: str | None = setting(None, description="Email (Email).", example="vanthu@example.gov.vn")
    mobile: str | None = setting(None, description="Telephone (Mobile).", example="0900 000 000")


class ReceiptsSection(Section):
    """Status receipts (01-06, 13, 15, 16) sent on behalf of the organs."""

    auto_received: bool = setting(
        True,
        description="Send status 01 (Đã đến) automatically once a received document is durably"
        " in the inbox. Off: the DMS sends it through status-out/.",
    )
    answer_policy: AnswerPolicy = setting(
        AnswerPolicy.MANUAL,
        description="Answer to a recall, an update or a take-back request (13): 'manual' waits"
        " for the DMS to drop 15 or 16 in status-out/ after a human decision; 'accept' sends 15"
        " (Đồng ý) and 'refuse' sends 16 (Từ chối) automatically.",
    )
    accept_description: str = setting(
        "Đồng ý", description="Description of an automatic 15 answer."
    )
    refuse_description: str = setting(
        "Từ chối", description="Description of an automatic 16 answer."
    )
    staff: StaffSection = setting(
        default_factory=StaffSection, description="StaffInfo of automatic receipts."
    )


class OutboundSection(Section):
    """Rules for documents sent."""

    reattach_original_on_recall: bool = setting(
        True,
        description="Attach the original files again to a recall or update package (whether the"
        " axis requires it is unknown, AXIS.md §14).",
    )


class JournalSection(Section):
    """The crash-safe journal of every document and receipt."""

    backend: str = setting(
        "sqlite",
        description="Journal storage; only 'sqlite' exists today.",
        pattern=r"^sqlite$",
    )
    path: ConfigPath | None = setting(
        None,
        description="The journal database file. Empty: journal.sqlite3 in $STATE_DIRECTORY (set"
        " by systemd's StateDirectory=), else /var/lib/lienthong-agent/journal.sqlite3.",
        example="/var/lib/lienthong-agent/journal.sqlite3",
    )
    busy_timeout_seconds: Seconds = setting(
        10.0, description="How long a journal write waits for a lock held by a CLI command."
    )


class LimitsSection(Section):
    """Caps that protect the agent from oversized or hostile input."""

    max_package_bytes: int = setting(
        200 * 1024 * 1024,
        description="Largest edXML package sent or accepted, in bytes (base64 makes a package"
        " about 4/3 of its attachments). The axis's own limit is unknown.",
        ge=1024,
    )
    max_attachment_bytes: int = setting(
        150 * 1024 * 1024,
        description="Largest single attachment, in bytes, after decoding and ZIP unwrapping.",
        ge=1,
    )
    max_attachments: int = setting(100, description="Most attachments in one package.", ge=1)
    max_xml_depth: int = setting(
        64, description="Deepest XML element nesting accepted in a received package.", ge=8
    )
    max_unzip_ratio: int = setting(
        100, description="Largest expansion ratio of a ZIP-wrapped attachment (zip bombs).", ge=1
    )
    max_metadata_bytes: int = setting(
        1024 * 1024, description="Largest metadata file of an outbox item, in bytes.", ge=1024
    )


class LogFormat(StrEnum):
    """How log lines are rendered."""

    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class LogLevel(StrEnum):
    """Lowest level of the lines logged."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class LoggingSection(Section):
    """Structured logs on standard output (journald under systemd)."""

    format: LogFormat = setting(
        LogFormat.AUTO,
        description="'json': one JSON object per line; 'console': coloured, for people;"
        " 'auto': console on a terminal, JSON otherwise and always under systemd.",
    )
    level: LogLevel = setting(LogLevel.INFO, description="Lowest level logged.")


class MetricsSection(Section):
    """The Prometheus endpoint, which also serves /healthz and /readyz."""

    enabled: bool = setting(True, description="Serve /metrics, /healthz and /readyz.")
    listen: str = setting(
        "127.0.0.1:9731",
        description="Address and port of the endpoint. Keep it on 127.0.0.1 and let the local"
        " Prometheus agent or a reverse proxy reach it; the endpoint has no authentication.",
    )

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("write it as HOST:PORT, e.g. 127.0.0.1:9731")
        if host != "localhost":
            try:
                ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                raise ValueError("the host must be an IP address or 'localhost'") from None
        return value

    @property
    def host(self) -> str:
        """The address part of ``listen``."""
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        """The port part of ``listen``."""
        return int(self.listen.rpartition(":")[2])


class HealthSection(Section):
    """What counts as healthy, for /readyz and the systemd watchdog."""

    max_poll_age_seconds: Seconds = setting(
        900.0,
        description="/readyz reports not ready when the last successful poll of the axis is"
        " older than this.",
    )
    watchdog: bool = setting(
        True,
        description="Answer systemd's watchdog (WatchdogSec= in the unit) from the main loop"
        " while the loop is healthy; systemd restarts a hung agent.",
    )


class ShutdownSection(Section):
    """Graceful stop on SIGTERM."""

    deadline_seconds: Seconds = setting(
        30.0,
        description="Time given to in-flight work to finish or checkpoint after SIGTERM. Keep it"
        " below the unit's TimeoutStopSec= (45 s), after which systemd kills the agent.",
    )


class Strictness(StrEnum):
    """How strictly received packages are checked against QCVN 102."""

    LENIENT = "lenient"
    STANDARD = "standard"
    STRICT = "strict"


class ValidationSection(Section):
    """Checks of package contents beyond what is needed to process them."""

    strictness: Strictness = setting(
        Strictness.STANDARD,
        description="'lenient': only what processing needs; 'standard': the rules other"
        " connectors apply (required From, To, Subject, unique recipients); 'strict': also the"
        " formats of codes and dates.",
    )
    max_subject_length: int | None = setting(
        None,
        description="Longest trích yếu (Subject) accepted; empty for no limit (the norm's limit"
        " is unknown).",
        example=2000,
        ge=1,
    )


def _two_digit_keys(value: object) -> object:
    if isinstance(value, dict):
        return {(f"{k:02d}" if isinstance(k, int) else str(k)): v for k, v in value.items()}
    return value


class MappingsSection(Section):
    """Labels for coded values whose meaning the norm leaves open (AXIS.md §14): used in
    document.json, receipts timelines and logs; codes always pass through unchanged."""

    priority: dict[int, Text] = setting(
        default_factory=lambda: {
            0: "Thường",
            1: "Khẩn",
            2: "Thượng khẩn",
            3: "Hỏa tốc",
            4: "Hỏa tốc hẹn giờ",
        },
        description="OtherInfo/Priority code -> độ khẩn label (0 is normal; 1-4 are assumed).",
    )
    document_type: dict[int, Text] = setting(
        default_factory=lambda: {1: "Văn bản hành chính", 2: "Văn bản quy phạm pháp luật"},
        description="DocumentType/Type code -> label (meaning unconfirmed).",
    )
    steering_type: dict[int, Text] = setting(
        default_factory=dict,
        description="SteeringType code -> label (loại chỉ đạo; 0, 1, 2 seen, meanings unknown).",
        example={0: "Không chỉ đạo", 1: "Chỉ đạo"},
    )
    status: dict[str, Text] = setting(
        default_factory=lambda: {
            "01": "Đã đến",
            "02": "Từ chối tiếp nhận",
            "03": "Đã tiếp nhận",
            "04": "Phân công",
            "05": "Đang xử lý",
            "06": "Hoàn thành",
            "13": "Lấy lại",
            "15": "Đồng ý",
            "16": "Từ chối",
        },
        description="Status code -> label. Unknown two-digit codes are accepted and kept"
        " verbatim; add their labels here when they become known.",
    )

    @field_validator("status", mode="before")
    @classmethod
    def _status_keys(cls, value: object) -> object:
        return _two_digit_keys(value)

    @model_validator(mode="after")
    def _status_codes(self) -> Self:
        bad = sorted(k for k in self.status if not (len(k) == 2 and k.isdigit()))
        if bad:
            raise key_error("status", f"status codes are two digits, like '01'; not {bad}")
        return self
