"""``axis``: how to reach and authenticate to the national axis (AXIS.md §5, §11, §14)."""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AnyHttpUrl, field_validator, model_validator

from agent.config.schema.base import (
    ConfigPath,
    CredentialName,
    Seconds,
    SecretRef,
    Section,
    Text,
    key_error,
    matching,
    secret_ref,
    setting,
)
from agent.core.rejection import LS_LGSP_CODES, RejectionKind


class HashFileStyle(StrEnum):
    """How the ``hash-file`` header of ``sendEdoc`` is written (AXIS.md §5.3)."""

    UNPADDED = "unpadded"
    PADDED = "padded"
    NONE = "none"


class AxisErrorCode(Section):
    """The meaning of one axis ``ErrorCode``."""

    kind: RejectionKind = setting(
        description="auth, bad-package, unknown-recipient, sender-not-registered,"
        " recipient-locked, server-error (retried), not-found, bad-parameter or other."
    )
    meaning: Text = setting(description="What the code means, shown in logs and error files.")


#: The LS-LGSP table of AXIS.md §5.5 (``agent.core.rejection``); the national codes are [U].
DEFAULT_ERROR_CODES: dict[str, AxisErrorCode] = {
    code: AxisErrorCode(kind=info.kind, meaning=info.meaning)
    for code, info in LS_LGSP_CODES.items()
}

PathPrefix = Annotated[
    str, matching(r"(/[A-Za-z0-9._~-]+)*", "a path prefix starts with '/' and has no trailing '/'")
]
SystemId = Annotated[
    str,
    matching(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", "a system id has no spaces, e.g. vxp.saas.03"),
]
_OFFSET = re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")


class TlsSection(Section):
    """TLS towards the axis: which CAs to trust, and a client certificate if one is required."""

    ca_bundle: ConfigPath | None = setting(
        None,
        description="PEM file of the certificate authorities trusted for the axis's TLS"
        " certificate. Empty: the system trust store.",
        example="/etc/lienthong-agent/tls/axis-ca.pem",
        must_exist=True,
    )
    client_certificate: ConfigPath | None = setting(
        None,
        description="PEM client certificate for mutual TLS, if the axis operator requires one"
        " (whether the national axis does is unknown). Needs a client key.",
        example="/etc/lienthong-agent/tls/client.pem",
        must_exist=True,
    )
    client_key_credential: CredentialName | None = setting(
        None,
        description="systemd credential holding the PEM private key of the mutual-TLS client"
        " certificate.",
        example="axis-client-key",
    )
    client_key_file: ConfigPath | None = setting(
        None,
        description="File holding the PEM private key of the mutual-TLS client certificate.",
        example="/etc/lienthong-agent/tls/client.key",
        must_exist=True,
    )

    @model_validator(mode="after")
    def _client_pair(self) -> Self:
        key = secret_ref(self, "client_key", required=False, what="the TLS client key")
        if (key is None) != (self.client_certificate is None):
            raise key_error(
                "client_certificate",
                "mutual TLS needs both 'client_certificate' and a client key"
                " ('client_key_credential' or 'client_key_file')",
            )
        return self

    @property
    def client_key(self) -> SecretRef | None:
        """Where the mutual-TLS client key is, if configured."""
        return secret_ref(self, "client_key", required=False, what="the TLS client key")


class AxisSection(Section):
    """The national axis (or the sandbox) this agent talks to."""

    base_url: AnyHttpUrl = setting(
        description="Base URL of the axis API, without the operation name (https:// in"
        " production; http:// only for the local sandbox).",
        example="https://truclienthong.example.gov.vn",
    )
    path_prefix: PathPrefix = setting(
        "",
        description="Path inserted between the base URL and each operation, e.g. '/vxp' gives"
        " <base_url>/vxp/sendEdoc. Empty for none.",
    )
    system_id: SystemId = setting(
        description="The system id (systemid) the axis operator registered for this agent;"
        " not an organ code (e.g. 'vxp.saas.03' or '00.53.W00').",
        example="example.system.01",
    )
    secret_credential: CredentialName | None = setting(
        None,
        description="Name of the systemd credential holding the axis secret (LoadCredential="
        "NAME:/etc/lienthong-agent/credentials/NAME in the unit). Set this or 'secret_file'."
        " The secret itself is never written in this file.",
        example="axis-secret",
        example_active=True,
    )
    secret_file: ConfigPath | None = setting(
        None,
        description="File holding the axis secret (a trailing newline is ignored), readable only"
        " by the service user. Use instead of 'secret_credential' outside systemd.",
        example="/etc/lienthong-agent/credentials/axis-secret",
        must_exist=True,
    )
    tls: TlsSection = setting(
        default_factory=TlsSection,
        description="TLS trust and the optional client certificate for https:// axes.",
    )
    connect_timeout_seconds: Seconds = setting(
        10.0, description="Time allowed to open a connection to the axis."
    )
    read_timeout_seconds: Seconds = setting(
        60.0, description="Time allowed for an answer to a list, get or status call."
    )
    upload_timeout_seconds: Seconds = setting(
        600.0,
        description="Time allowed to send one package with sendEdoc and read its answer; large"
        " scanned attachments on a slow link need minutes.",
    )
    hash_file_style: HashFileStyle = setting(
        HashFileStyle.UNPADDED,
        description="The 'hash-file' header of sendEdoc: 'unpadded' as the operator's Java SDK"
        " writes it (hex bytes without leading zero), 'padded' (plain lowercase SHA-256 hex),"
        " or 'none' to omit it.",
    )
    user_agent: Text = setting(
        "JAVASDKAgent/1.0.0 XRoad/VPCP",
        description="User-Agent header; the default copies the operator's SDK (AXIS.md §5.1).",
    )
    protocol_version: Text = setting(
        "3.0.201608", description="Value of the XroadVnpt-version header (AXIS.md §5.1)."
    )
    local_time_offset: str = setting(
        "+07:00",
        description="UTC offset of the local time the axis expects in request timestamps and"
        " edXML dates (Vietnam: +07:00, no daylight saving).",
    )
    batch_size: int = setting(
        50,
        description="Largest number of items fetched (getEdoc) per polling cycle; the rest wait"
        " for the next cycle. The axis has no paging.",
        ge=1,
        le=10_000,
    )
    error_codes: dict[str, AxisErrorCode] = setting(
        default_factory=dict,
        description="Axis ErrorCode values and their meaning, merged over the built-in table"
        " (LS-LGSP codes 10, 15, 18-23: AXIS.md §5.5). A code in neither is classified from its"
        " ErrorDesc text.",
        example={"24": {"kind": "bad-package", "meaning": "Vượt quá dung lượng cho phép"}},
    )

    @field_validator("local_time_offset")
    @classmethod
    def _offset(cls, value: str) -> str:
        if not _OFFSET.match(value):
            raise ValueError("write the offset as +HH:MM or -HH:MM, e.g. +07:00")
        return value

    @field_validator("error_codes", mode="before")
    @classmethod
    def _code_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _references(self) -> Self:
        secret_ref(self, "secret", required=True, what="the axis secret")
        return self

    @property
    def secret(self) -> SecretRef:
        """Where the axis secret is."""
        ref = secret_ref(self, "secret", required=True, what="the axis secret")
        if ref is None:  # pragma: no cover - the validator guarantees one
            raise RuntimeError("axis secret reference missing after validation")
        return ref

    @property
    def local_timezone(self) -> timezone:
        """``local_time_offset`` as a fixed-offset time zone."""
        sign = -1 if self.local_time_offset.startswith("-") else 1
        hours, minutes = (int(part) for part in self.local_time_offset[1:].split(":"))
        return timezone(sign * timedelta(hours=hours, minutes=minutes))

    def error_table(self) -> dict[str, AxisErrorCode]:
        """The built-in error table with this configuration's overrides applied."""
        return {**DEFAULT_ERROR_CODES, **self.error_codes}

    def operation_url(self, operation: str) -> str:
        """The full URL of an axis operation, e.g. ``operation_url("sendEdoc")``."""
        return f"{str(self.base_url).rstrip('/')}{self.path_prefix}/{operation}"


__all__ = [
    "DEFAULT_ERROR_CODES",
    "AxisErrorCode",
    "AxisSection",
    "HashFileStyle",
    "TlsSection",
]
