"""XML signatures (XMLDSig, enveloped) on edXML packages: the public API.

Signing (:mod:`agent.signing.xmldsig_sign`): :func:`sign_stream` / :func:`sign_file` add a
Signature to a finished package by a stream copy; :func:`sign_built` signs while a builder writes.
Verification (:mod:`agent.signing.xmldsig_observer`, :mod:`agent.signing.xmldsig_verify`): a
:class:`SignatureObserver` rides along the edXML parser (one pass: the business data comes from
the bytes that were verified) and :func:`judge` turns what it saw into a
:class:`~agent.signing.report.SignatureReport`; :func:`verify_stream` does both for a package
read on its own.

What the signature is worth on the national axis: the axis re-serialises the envelope (AXIS.md
§9), so an XML signature made by the sender does not verify at the recipient. That is reported as
``altered-in-transit``, distinct from ``invalid``; the PDF's own signature is the one that
survives. The XML signature is useful on routes that keep bytes intact.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import BinaryIO

from agent.core.edxml import (
    AttachmentSink,
    AttachmentSource,
    BuildReport,
    EdocPackage,
    MessageHeader,
    ParseLimits,
    StatusHeader,
    StatusPackage,
    TraceHeaderList,
    build_edoc,
    build_status,
    parse_package,
)
from agent.core.xmlstream import XmlLimits, read_events
from agent.signing.keys import SigningIdentity
from agent.signing.report import SignatureReport
from agent.signing.trust import TrustPolicy
from agent.signing.xmldsig_observer import SignatureObserver
from agent.signing.xmldsig_sign import (
    PLACEHOLDER,
    PackageWriter,
    XmlSignature,
    digest_built,
    sign_built,
    sign_stream,
    signature_fragment,
)
from agent.signing.xmldsig_verify import judge, signing_time, transit_marks

__all__ = [
    "PLACEHOLDER",
    "PackageWriter",
    "SignatureObserver",
    "XmlSignature",
    "build_signed_edoc",
    "build_signed_status",
    "digest_built",
    "judge",
    "parse_and_verify",
    "sign_built",
    "sign_file",
    "sign_stream",
    "signature_fragment",
    "signing_time",
    "transit_marks",
    "verify_file",
    "verify_stream",
]


def verify_stream(
    stream: BinaryIO, trust: TrustPolicy, now: dt.datetime, *, limits: XmlLimits | None = None
) -> SignatureReport:
    """Read a whole package and judge its XML signature (``now``: timezone-aware)."""
    observer = SignatureObserver()
    read_events(stream, [observer], limits)
    return judge(observer.result(), trust, now)


def verify_file(
    path: str | os.PathLike[str], trust: TrustPolicy, now: dt.datetime
) -> SignatureReport:
    with open(path, "rb") as stream:
        return verify_stream(stream, trust, now)


def sign_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    identity: SigningIdentity,
    *,
    subject_name: bool = True,
    now: dt.datetime | None = None,
) -> XmlSignature:
    """Sign the package file ``src`` into ``dst``, written atomically (temp file + rename)."""
    tmp = f"{os.fspath(dst)}.part-{os.getpid()}"
    try:
        with open(src, "rb") as source, open(tmp, "wb") as target:
            signature = sign_stream(
                source, target, identity, subject_name=subject_name, now=now
            )
            target.flush()
            os.fsync(target.fileno())
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return signature


def parse_and_verify(
    stream: BinaryIO,
    trust: TrustPolicy,
    now: dt.datetime,
    sink: AttachmentSink | None = None,
    *,
    limits: ParseLimits | None = None,
) -> tuple[EdocPackage | StatusPackage, SignatureReport]:
    """Parse a package and judge its XML signature in the same pass over the same bytes."""
    observer = SignatureObserver()
    package = parse_package(stream, sink, limits=limits, observers=[observer])
    return package, judge(observer.result(), trust, now)


def build_signed_edoc(
    out: BinaryIO,
    header: MessageHeader,
    trace_list: TraceHeaderList | None,
    attachments: Sequence[AttachmentSource],
    identity: SigningIdentity,
    *,
    subject_name: bool = True,
    now: dt.datetime | None = None,
) -> tuple[BuildReport, XmlSignature]:
    """Build an edoc package signed with ``identity`` (attachments are read twice)."""
    reports: list[BuildReport] = []

    def write(stream: BinaryIO, fragment: bytes) -> None:
        reports.append(build_edoc(stream, header, trace_list, attachments, signature=fragment))

    signature = sign_built(write, out, identity, subject_name=subject_name, now=now)
    return reports[-1], signature


def build_signed_status(
    out: BinaryIO,
    header: StatusHeader,
    identity: SigningIdentity,
    *,
    subject_name: bool = True,
    now: dt.datetime | None = None,
) -> tuple[BuildReport, XmlSignature]:
    """Build a status package signed with ``identity``."""
    reports: list[BuildReport] = []

    def write(stream: BinaryIO, fragment: bytes) -> None:
        reports.append(build_status(stream, header, signature=fragment))

    signature = sign_built(write, out, identity, subject_name=subject_name, now=now)
    return reports[-1], signature
