"""Everything the sandbox can be told, in one frozen value (the CLI builds it from options).

Each unknown of AXIS.md §14 that the sandbox meets is a setting here, with the default that
§12 asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from agent.core.edxml.validate import ValidationLevel
from agent.errors import ConfigError
from agent.sandbox.clock import DEFAULT_TIME_FORMAT
from agent.sandbox.codes import ErrorTable
from agent.sandbox.faults import FaultRule
from agent.sandbox.registry import Registry
from agent.sandbox.transit import TransitMode


class SenderRule(StrEnum):
    """Which ``from`` a system may send with (AXIS.md §6, §14)."""

    REGISTERED = "registered"  # the system id itself or an organ registered under it (default)
    SYSTEM = "system"  # only the system id (the SaaS axis: "from must equal the account")
    ANY = "any"  # no check


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Settings of one sandbox instance. Only ``data_dir`` is required."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0  # 0: pick a free port; SandboxServer.url tells which
    prefix: str = ""  # path prefix of the axis operations, e.g. "/XrdAdapter/adapter"
    registry: Registry = field(default_factory=Registry)
    transit: TransitMode = TransitMode.REBUILD
    trace_organ_id: str = ""  # OrganId of the TraceHeader appended in transit ("" = Timestamp only)
    sender_rule: SenderRule = SenderRule.REGISTERED
    validation: ValidationLevel = ValidationLevel.OFF  # see agent.sandbox.validation
    max_skew: float | None = None  # seconds; None = timestamps are not checked (the default)
    check_hash_file: bool = True  # verify hash-file when the client sends one
    max_package_bytes: int | None = None  # None = no limit (the national limit is unknown)
    error_table: ErrorTable = field(default_factory=ErrorTable)
    time_format: str = DEFAULT_TIME_FORMAT
    faults: tuple[FaultRule, ...] = ()
    fault_seed: int = 0
    admin_token: str | None = field(default=None, repr=False)  # None: admin endpoints disabled
    durable: bool = False  # fsync package files and use synchronous=FULL
    ingest_threads: int = 4  # sendEdoc is checked and stored in these threads (0: on the loop)
    memory_limit: int = 8 * 1024 * 1024  # bodies larger than this are spooled to disk
    log_requests: bool = False  # one access-log line per request (never headers or secrets)
    tls_cert: Path | None = None  # serve HTTPS with this certificate (PEM, chain allowed) ...
    tls_key: Path | None = None  # ... and this key (PEM, unencrypted)
    tls_client_ca: Path | None = None  # require client certificates issued by these CAs (mTLS)

    def __post_init__(self) -> None:
        """Accept plain strings for the enumerated settings (``transit="preserve"``)."""
        for name, kind in (("transit", TransitMode), ("sender_rule", SenderRule),
                           ("validation", ValidationLevel)):
            object.__setattr__(self, name, kind(getattr(self, name)))
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("TLS needs both a certificate and its key (--tls-cert, --tls-key)")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key (HTTPS)")

    @property
    def normalized_prefix(self) -> str:
        prefix = self.prefix.strip()
        if not prefix or prefix == "/":
            return ""
        return "/" + prefix.strip("/")
