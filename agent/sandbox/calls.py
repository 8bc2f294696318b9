"""One verified call to an axis operation, and the reply a handler gives back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.sandbox.codes import Failure, Refusal
from agent.sandbox.faults import Decision
from agent.sandbox.spool import SpooledBody

if TYPE_CHECKING:
    from agent.sandbox.service import Sandbox


@dataclass(slots=True)
class Call:
    op: str  # canonical operation name
    caller: str  # verified system id
    params: Mapping[str, str]  # signed parameters, case-insensitive
    body: bytes = b""
    spooled: SpooledBody | None = None
    decision: Decision = field(default_factory=Decision)

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if not value:
            raise Refusal(Failure.BAD_PARAMETER, f"thieu tham so {name}")
        return value


@dataclass(slots=True)
class Reply:
    """A JSON answer, or a file: base64 inside the envelope (getEdoc) or raw (downloadEdoc)."""

    payload: dict[str, object]
    file: Path | None = None
    offset: int = 0  # the package's bytes in ``file``
    length: int = 0
    raw: bool = False
    on_sent: Callable[[str], None] | None = None  # called with the file's SHA-256 once sent
    known_sha256: str = ""  # the file's SHA-256 when already known (else hashed while sending)


Handler = Callable[["Sandbox", Call], Reply]
