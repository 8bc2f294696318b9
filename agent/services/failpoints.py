"""Named crash points and deliberately broken behaviour, FOR THE TEST SUITES ONLY.

Nothing here is active unless the environment variable ``LIENTHONG_FAILPOINTS`` is set; the
daemon logs a loud warning at start-up when it is. Production never sets it. The crash tests
(tests/e2e, tests/reliability) use it to kill the daemon at an exact moment and prove that a
restart loses nothing and duplicates nothing; the reliability suite's negative test uses a
*broken* variant to prove that its ledger check would catch a real bug.

Syntax: comma-separated entries ::

    LIENTHONG_FAILPOINTS="after-sign=kill"            SIGKILL the process at the first hit
    LIENTHONG_FAILPOINTS="during-upload=kill@3"       ... at the third hit
    LIENTHONG_FAILPOINTS="after-pickup=raise"         raise FailpointCrash (in-process tests)
    LIENTHONG_FAILPOINTS="broken:mark-sent-before-upload"   a deliberate bug, see BROKEN

Crash points (:data:`POINTS`), in the order a document meets them:

=================================  ==============================================================
after-pickup                       the outbox item is claimed into the work area, no journal row
after-sign                         the signed package is written, the journal does not know it
during-upload                      half of the sendEdoc body is on the wire
after-upload-before-journal        the axis returned a DocId, the journal does not know it
during-inbox-write                 the inbox folder is half staged (temporary name)
after-inbox-write                  the inbox folder is published, the journal does not know it
after-inbox-write-before-ack       the delivery is recorded, updateStatus done not yet sent
after-ack-before-journal           updateStatus done went through, the journal does not know it
after-receipt-send-before-journal  a status package was accepted, the journal does not know it
=================================  ==============================================================

Broken variants (:data:`BROKEN`):

* ``mark-sent-before-upload``: the journal records an outbound document as accepted by the axis
  *before* it is uploaded. A kill in between loses the document; the reliability suite must
  notice.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

ENV = "LIENTHONG_FAILPOINTS"

POINTS = frozenset({
    "after-pickup",
    "after-sign",
    "during-upload",
    "after-upload-before-journal",
    "during-inbox-write",
    "after-inbox-write",
    "after-inbox-write-before-ack",
    "after-ack-before-journal",
    "after-receipt-send-before-journal",
})
BROKEN = frozenset({"mark-sent-before-upload"})
ACTIONS = frozenset({"kill", "raise"})


class FailpointCrash(BaseException):  # noqa: N818 - a simulated crash, not an error
    """Raised by a ``raise`` failpoint: stands for the process dying at that moment (in-process
    tests catch it, throw the services away and start new ones on the same journal)."""


class FailpointSpecError(ValueError):
    """``LIENTHONG_FAILPOINTS`` cannot be understood (a typo must not silently test nothing)."""


@dataclass(frozen=True, slots=True)
class _Point:
    action: str
    at_hit: int  # fire at this hit (1 = the first)


@dataclass
class Failpoints:
    """The failpoints of one process. ``Failpoints()`` is the inactive set used in production."""

    points: Mapping[str, _Point] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()
    _hits: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def parse(cls, spec: str) -> Failpoints:
        """Read the ``LIENTHONG_FAILPOINTS`` syntax; FailpointSpecError on anything unknown."""
        points: dict[str, _Point] = {}
        broken: set[str] = set()
        for entry in (e.strip() for e in spec.split(",")):
            if not entry:
                continue
            if entry.startswith("broken:"):
                name = entry.removeprefix("broken:")
                if name not in BROKEN:
                    raise FailpointSpecError(f"unknown broken variant {name!r}")
                broken.add(name)
                continue
            name, _, rest = entry.partition("=")
            points[name] = _point(name, rest or "kill")
        return cls(points, frozenset(broken))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Failpoints:
        env = os.environ if environ is None else environ
        return cls.parse(env.get(ENV, ""))

    @property
    def active(self) -> bool:
        return bool(self.points or self.broken)

    def describe(self) -> str:
        parts = [f"{n}={p.action}@{p.at_hit}" for n, p in sorted(self.points.items())]
        return ", ".join(parts + [f"broken:{b}" for b in sorted(self.broken)])

    def is_broken(self, name: str) -> bool:
        """Whether the deliberately broken variant ``name`` is switched on."""
        return name in self.broken

    def hit(self, name: str) -> None:
        """Pass crash point ``name``: nothing happens unless it is armed and this is its hit."""
        point = self.points.get(name)
        if point is None:
            return
        with self._lock:
            count = self._hits.get(name, 0) + 1
            self._hits[name] = count
        if count != point.at_hit:
            return
        if point.action == "raise":
            raise FailpointCrash(name)
        os.kill(os.getpid(), signal.SIGKILL)  # pragma: no cover - the process ends here


def _point(name: str, text: str) -> _Point:
    if name not in POINTS:
        raise FailpointSpecError(f"unknown failpoint {name!r}; known: {', '.join(sorted(POINTS))}")
    action, _, nth = text.partition("@")
    if action not in ACTIONS:
        raise FailpointSpecError(f"failpoint {name}: unknown action {action!r} (kill or raise)")
    if nth and not (nth.isdigit() and int(nth) >= 1):
        raise FailpointSpecError(f"failpoint {name}: '@{nth}' is not a hit number (1, 2, ...)")
    return _Point(action, int(nth or 1))
