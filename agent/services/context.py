"""What every service needs, built once by the daemon (or a test) and passed in.

The services never build their collaborators: the journal, the axis client, the folders, the
signing identity and trust policy, the clock and the metrics come from here. ``wake`` tells the
daemon's scheduler that an item of a kind is due (now, or at a given time), so a worker picks it up
without polling.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.axis.api import AxisClient
from agent.config.schema import AgentConfig
from agent.core.lifecycle import Kind
from agent.errors import LienthongError
from agent.journal.port import Journal
from agent.journal.records import ErrorInfo
from agent.observability import Metrics
from agent.services.failpoints import Failpoints
from agent.services.organs import OrganRouter
from agent.signing.keys import SigningIdentity
from agent.signing.pdf_sign import PdfSignOptions, SealAppearance
from agent.signing.trust import TrustPolicy

Wake = Callable[[Kind, "dt.datetime | None"], None]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _no_wake(kind: Kind, at: dt.datetime | None) -> None:
    return None


@dataclass(frozen=True)
class SigningSetup:
    """Which signatures outgoing documents get, and the key. ``identity`` is None only when
    neither signature is switched on."""

    identity: SigningIdentity | None = None
    pdf: bool = False
    xml: bool = False
    pdf_options: PdfSignOptions = field(default_factory=PdfSignOptions)

    @classmethod
    def from_config(
        cls, config: AgentConfig, identity: SigningIdentity | None, seal_image: bytes | None
    ) -> SigningSetup:
        section = config.signing
        seal = None if seal_image is None else SealAppearance(
            image=seal_image, page=section.seal_page, box=section.seal_box)
        options = PdfSignOptions(reason=section.reason, location=section.location, seal=seal)
        pdf, xml = section.pdf_signature, section.xml_signature
        return cls(identity if pdf or xml else None, pdf, xml, options)


@dataclass
class ServiceContext:
    """The collaborators of the services."""

    config: AgentConfig
    journal: Journal
    axis: AxisClient
    organs: OrganRouter
    trust: TrustPolicy
    signing: SigningSetup = field(default_factory=SigningSetup)
    metrics: Metrics | None = None
    failpoints: Failpoints = field(default_factory=Failpoints)
    clock: Callable[[], dt.datetime] = utc_now
    wake: Wake = _no_wake
    rng: random.Random = field(default_factory=random.Random)
    _rng_lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> dt.datetime:
        return self.clock()

    def local_now(self) -> dt.datetime:
        """The wire's local time (naive, ``axis.local_time_offset``), for TraceHeader stamps."""
        return self.clock().astimezone(self.config.axis.local_timezone).replace(tzinfo=None)

    def random(self) -> random.Random:
        """A generator for jitter; :class:`random.Random` is not meant to be shared unlocked."""
        with self._rng_lock:
            return random.Random(self.rng.random())  # noqa: S311 - jitter, not cryptography

    def count(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Update a metric if metrics are wired (best effort: a metric never fails a step)."""
        if self.metrics is not None:
            getattr(self.metrics, method)(*args, **kwargs)


def error_info(error: BaseException) -> ErrorInfo:
    """What the journal stores about a failure: ``LienthongError.to_dict()`` (with the problems
    of an ExchangeItemError), or the type of an unexpected exception."""
    if isinstance(error, LienthongError):
        info: dict[str, Any] = dict(error.to_dict())
        problems = getattr(error, "problems", ())
        if problems:
            info["problems"] = list(problems)
        return info
    return {"error": type(error).__name__, "code": "internal",
            "message": f"unexpected {type(error).__name__}: {str(error)[:300]}",
            "hint": "a bug in lienthong-agent; the item is retried later. Please report it."}
