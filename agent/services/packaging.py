"""Build and sign the package of an outbox item, once; the bytes are kept for every retry.

A document folder becomes an edXML package (:mod:`agent.files.mapping`): every PDF attachment gets
the organisation's PAdES signature first (``signing.pdf_signature``), then the package is built,
with an enveloped XML signature when ``signing.xml_signature`` is on. A ready package from the DMS
is sent as it is, with an XML signature added when configured and the package has none.

The result is written to ``<claim>/package.edxml`` atomically; temporary files (signed PDFs,
re-attached originals) live under temporary names inside the claim and are removed afterwards
(start-up cleaning removes what a crash leaves).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from agent.core.edxml.builder import AttachmentSource, build_edoc
from agent.core.edxml.model import EdocPackage, Organization
from agent.core.edxml.parser import parse_edoc
from agent.errors import ExchangeItemError
from agent.files.atomic import disk_errors, fsync_dir, remove_tree, sha256_file, temp_sibling
from agent.files.mapping import message_header, trace_list
from agent.files.metadata import AttachmentFile, OutboundRequest
from agent.services.checks import check_outgoing
from agent.services.context import ServiceContext, SigningSetup
from agent.signing.pdf_sign import sign_pdf
from agent.signing.xmldsig import build_signed_edoc, sign_stream

PACKAGE = "package.edxml"


def is_pdf(name: str, content_type: str | None) -> bool:
    return (content_type or "").lower() == "application/pdf" or name.lower().endswith(".pdf")


@contextmanager
def published_file(final: Path) -> Iterator[BinaryIO]:
    """A file written under a temporary name, fsynced and renamed to ``final`` on success."""
    tmp = temp_sibling(final)
    with disk_errors(f"write {final.name}"):
        try:
            with tmp.open("w+b") as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                tmp.unlink()
        fsync_dir(final.parent)


class _TempFiles:
    """Temporary files inside a claim, removed when the build ends."""

    def __init__(self, claim_dir: Path) -> None:
        self._dir = claim_dir
        self.paths: list[Path] = []
        self.originals: list[Path] = []

    def new(self, name: str) -> Path:
        path = temp_sibling(self._dir / name)
        self.paths.append(path)
        return path

    def open(self, index: int, content_id: str, declared_name: str) -> BinaryIO:
        """The parser's attachment sink: each re-attached original to its own file."""
        path = self.new(f"original-{index}")
        self.originals.append(path)
        return path.open("w+b")

    def remove(self) -> None:
        for path in self.paths:
            if path.exists():
                remove_tree(path)


def _opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: path.open("rb")


def _signed_pdf(setup: SigningSetup, source: Path, temp: _TempFiles, now: dt.datetime) -> Path:
    assert setup.identity is not None
    target = temp.new(source.name)
    with disk_errors(f"sign {source.name}"), source.open("rb") as src, target.open("w+b") as out:
        sign_pdf(src, out, setup.identity, now=now, options=setup.pdf_options)
    return target


def _source(
    setup: SigningSetup, attachment: AttachmentFile, temp: _TempFiles, now: dt.datetime,
    content_id: str,
) -> AttachmentSource:
    path = attachment.path
    if setup.pdf and is_pdf(attachment.name, attachment.content_type):
        path = _signed_pdf(setup, path, temp, now)
    return AttachmentSource(content_id=content_id, name=attachment.name,
                            content_type=attachment.content_type, open=_opener(path),
                            description=attachment.description)


def _originals(original: Path, temp: _TempFiles) -> list[AttachmentSource]:
    """The attachments of an earlier package, to repeat them in a recall or an update."""
    with disk_errors(f"read {original.name}"), original.open("rb") as stream:
        package = parse_edoc(stream, temp)
    files = temp.originals
    return [
        AttachmentSource(content_id=f"{a.content_id}-again", name=a.attachment_name or
                         f"attachment-{a.index}", content_type=a.content_type or
                         "application/octet-stream", open=_opener(path),
                         description=a.description)
        for a, path in zip(package.attachments, files, strict=True)
    ]


def build_folder_package(
    ctx: ServiceContext, request: OutboundRequest, sender_id: str,
    recipients: Sequence[Organization], claim_dir: Path, original: Path | None,
) -> tuple[Path, str]:
    """Build (and sign) the package of a document folder into ``<claim>/package.edxml``.
    ``original``: the kept package of the document a recall / update repeats, if wanted."""
    now, setup = ctx.now(), ctx.signing
    header = message_header(request, ctx.organs.organization(sender_id), recipients)
    trace = trace_list(request, sender_id, ctx.local_now())
    check_outgoing(ctx.config, EdocPackage(header=header, trace_list=trace))
    if setup.identity is not None:
        ctx.check_signing_certificate()
    temp = _TempFiles(claim_dir)
    final = claim_dir / PACKAGE
    try:
        sources = [_source(setup, a, temp, now, f"att-{i + 1}")
                   for i, a in enumerate(request.attachments)]
        if not sources and original is not None:
            sources = _originals(original, temp)
        with published_file(final) as out:
            if setup.xml and setup.identity is not None:
                build_signed_edoc(out, header, trace, sources, setup.identity, now=now)
            else:
                build_edoc(out, header, trace, sources)
    finally:
        temp.remove()
    return final, sha256_file(final)


def prepare_ready_package(
    ctx: ServiceContext, item: Path, claim_dir: Path, already_signed: bool
) -> tuple[Path, str]:
    """Copy a ready package into ``<claim>/package.edxml``, XML-signed if configured."""
    setup, final = ctx.signing, claim_dir / PACKAGE
    if setup.xml and setup.identity is not None and not already_signed:
        ctx.check_signing_certificate()
    with disk_errors(f"read {item.name}"), item.open("rb") as src, published_file(final) as out:
        if setup.xml and setup.identity is not None and not already_signed:
            sign_stream(src, out, setup.identity, now=ctx.now())
        else:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    return final, sha256_file(final)


def kept_package(candidates: Sequence[Path]) -> Path | None:
    """The first of the places a kept package can be (work area, sent/, failed/)."""
    return next((path for path in candidates if path.is_file()), None)


def missing_package(claim_id: str) -> ExchangeItemError:
    return ExchangeItemError(
        f"the kept package of {claim_id} is missing",
        hint="it was removed from the work area; drop the document into the outbox again",
    )
