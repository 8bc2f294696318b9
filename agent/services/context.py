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

from cryptography import x509

from agent.axis.api import AxisClient
from agent.config.schema import AgentConfig
from agent.core.lifecycle import Kind
from agent.errors import LienthongError, SigningError
from agent.journal.port import Journal
from agent.journal.records import ErrorInfo
from agent.observability import Metrics
from agent.services.failpoints import Failpoints
from agent.services.organs import OrganRouter
from agent.signing.keys import SigningIdentity, describe_certificate
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
    _revoked: str | None = None  # why our signing certificate is revoked, once looked up
    _revocation_known: bool = False

    def now(self) -> dt.datetime:
        return self.clock()

    def check_signing_certificate(self) -> None:
        """Refuse to sign once a configured CRL of its issuer lists our own certificate:
        every recipient checking that CRL would read the signature as revoked. (The signers
        check its validity dates themselves.) The CRL files are read at start-up, so the
        answer is looked up once."""
        if not self._revocation_known:
            identity = self.signing.identity
            self._revoked = None if identity is None else _revocation(identity, self.trust)
            self._revocation_known = True
        if self._revoked is not None:
            raise SigningError(self._revoked, hint="ask the CA for a new certificate and key; "
                               "recipients refuse signatures made with a revoked one")

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


def _revocation(identity: SigningIdentity, trust: TrustPolicy) -> str | None:
    """Why a CRL of the certificate's issuer (correctly signed by it) lists it, or None."""
    cert = identity.certificate
    issuers = [c for c in identity.chain if c.subject == cert.issuer]
    for crl in trust.crls:
        if crl.issuer != cert.issuer or not any(_signed_by(crl, i) for i in issuers):
            continue
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            return (f"the signing certificate {describe_certificate(cert)} is revoked on the "
                    f"CRL of {crl.issuer.rfc4514_string()} (since "
                    f"{entry.revocation_date_utc.isoformat()})")
    return None


def _signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError):  # a key type a CRL cannot be signed with
        return False
