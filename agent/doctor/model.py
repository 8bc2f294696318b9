"""What a doctor check finds: a status, a message for the operator, and how to fix it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"  # works today, needs attention (expires soon, stale CRL, ...)
    ERROR = "error"  # the agent cannot work correctly until it is fixed
    SKIPPED = "skipped"  # not applicable, or not checkable because an earlier check failed


@dataclass(frozen=True)
class Check:
    """The result of one check. ``name`` is stable (docs/cli.md lists them); ``fix`` says what
    to do for a warning or an error; ``details`` holds the facts (JSON-ready values)."""

    name: str
    status: Status
    message: str
    fix: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status.value, "message": self.message,
                "fix": self.fix, "details": self.details}


def ok(name: str, message: str, **details: Any) -> Check:
    return Check(name, Status.OK, message, None, details)


def warning(name: str, message: str, fix: str, **details: Any) -> Check:
    return Check(name, Status.WARNING, message, fix, details)


def error(name: str, message: str, fix: str | None, **details: Any) -> Check:
    return Check(name, Status.ERROR, message, fix, details)


def skipped(name: str, message: str) -> Check:
    return Check(name, Status.SKIPPED, message)


@dataclass(frozen=True)
class DoctorReport:
    """Every check, in the order they ran."""

    checks: tuple[Check, ...]

    @property
    def healthy(self) -> bool:
        """No check found an error (warnings allowed)."""
        return all(c.status is not Status.ERROR for c in self.checks)

    def counts(self) -> dict[str, int]:
        found = Counter(c.status for c in self.checks)
        return {status.value: found.get(status, 0) for status in Status}

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError if it did not run)."""
        for found in self.checks:
            if found.name == name:
                return found
        raise KeyError(name)
