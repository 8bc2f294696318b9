"""Every signature of an edXML package: the XML signature on the package and the PAdES signatures
inside its PDF attachments, for ``edxml inspect`` and ``edxml verify``.

One pass over the package parses it, judges its XML signature (on the very bytes parsed) and
spools each attachment to a temporary file; one-entry ZIP wrappers are unwrapped as the receiver
does (AXIS.md §3.4) before the PDFs are verified. The daemon does the same while it writes the
inbox (``agent.services.unpack``); this module is for files on an operator's disk.

:func:`file_is_valid` is the rule the ``verify`` command exits by.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

from agent.core.edxml import EdocPackage, StatusPackage
from agent.core.edxml.zipwrap import ZipLimits, deliver_name, plan_unwrap, unwrap
from agent.signing.pdf import verify_pdf
from agent.signing.report import SignatureReport, SignatureStatus
from agent.signing.trust import TrustPolicy
from agent.signing.xmldsig import parse_and_verify

_SPOOL_IN_MEMORY = 8 << 20
_PDF_MAGIC = b"%PDF-"


@dataclass
class PackageSignatures:
    """The package as parsed and every signature's verdict (XML first, then one per PDF)."""

    package: EdocPackage | StatusPackage
    xml: SignatureReport
    pdf: list[SignatureReport] = field(default_factory=list)

    @property
    def reports(self) -> list[SignatureReport]:
        return [self.xml, *self.pdf]


def verify_package(path: Path, trust: TrustPolicy, now: dt.datetime) -> PackageSignatures:
    """Parse ``path`` and judge its XML signature and the signatures of its PDF attachments."""
    with ExitStack() as stack:
        sink = _SpoolSink(stack)
        with path.open("rb") as stream:
            package, xml = parse_and_verify(stream, trust, now, sink)
        result = PackageSignatures(package, xml)
        if isinstance(package, EdocPackage):
            for info in package.attachments:
                spool = sink.files.get(info.index)
                if spool is not None:
                    name = info.attachment_name or f"attachment-{info.index}"
                    result.pdf += _verify_attachment(spool, name, trust, now, stack)
        return result


def file_is_valid(reports: list[SignatureReport], *, after_axis: bool = False) -> bool:
    """A package is valid when it carries at least one valid signature and none that fails.

    ``unsigned`` verdicts (a package without an XML signature, an annex PDF without a signature)
    do not fail by themselves. With ``after_axis``, an XML ``altered-in-transit`` verdict does not
    fail either: the national axis rewrites every envelope (AXIS.md §9); the PDF signatures are the
    ones that must hold.
    """
    tolerated = {SignatureStatus.UNSIGNED}
    if after_axis:
        tolerated.add(SignatureStatus.ALTERED_IN_TRANSIT)
    failing = [r for r in reports if not r.ok and r.status not in tolerated]
    return not failing and any(r.ok for r in reports)


def _verify_attachment(
    spool: BinaryIO, name: str, trust: TrustPolicy, now: dt.datetime, stack: ExitStack
) -> list[SignatureReport]:
    spool.seek(0)
    limits = ZipLimits()
    entry = plan_unwrap(spool, limits)
    if entry is not None:
        inner = stack.enter_context(_spooled())
        unwrap(spool, entry, name, inner, limits)
        spool, name = inner, deliver_name(name, entry.name)
    spool.seek(0)
    if not spool.read(1024).lstrip().startswith(_PDF_MAGIC):
        return []
    spool.seek(0)
    return verify_pdf(spool, trust, target=name, now=now)


@contextmanager
def _spooled() -> Iterator[BinaryIO]:
    """A temporary file kept in memory up to 8 MiB, on disk beyond."""
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        yield cast(BinaryIO, spool)


class _Forward(io.BytesIO):
    """What the parser writes into and closes; the spool behind it stays open for reading."""

    def __init__(self, target: BinaryIO) -> None:
        super().__init__()
        self.target = target

    def write(self, data: bytes) -> int:  # type: ignore[override]  # narrower than Buffer
        return self.target.write(data)


class _SpoolSink:
    """An attachment sink that keeps each decoded attachment in a spool until the stack closes."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.files: dict[int, BinaryIO] = {}

    def open(self, index: int, content_id: str, declared_name: str) -> BinaryIO:
        spool = self.stack.enter_context(_spooled())
        self.files[index] = spool
        return _Forward(spool)
