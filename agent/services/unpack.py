"""Stage a received package for the inbox: parse and verify in one pass, unwrap, describe.

The verify step runs this once: the spooled package is read a single time by the edXML parser
with the XML-signature observer riding along (:func:`agent.signing.xmldsig.parse_and_verify`),
attachments stream into a staging folder beside the inbox, one-entry ZIP wrappers are removed
(AXIS.md §3.4), every PDF attachment's signatures are verified, and ``document.json`` and
``SHA256SUMS`` are written. The deliver step then publishes the staged folder with one rename.

The staging folder has a temporary name (``inbox/.lienthong-tmp-stage-<name>``): the DMS never
sees it, and start-up cleaning removes one a crash left; the deliver step builds it again.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.core.edxml.dictform import to_plain
from agent.core.edxml.model import AttachmentInfo, EdocPackage
from agent.core.edxml.parser import parse_package
from agent.core.edxml.zipwrap import deliver_name, plan_unwrap, unwrap
from agent.errors import PackageError
from agent.files.atomic import TEMP_PREFIX, disk_errors, fsync_tree, remove_tree
from agent.files.inbox import ATTACHMENTS, InboxWriter
from agent.journal.records import DocumentFacts
from agent.services.checks import check_received
from agent.services.context import ServiceContext
from agent.services.limits import parse_limits, zip_limits
from agent.services.packaging import is_pdf
from agent.signing.pdf_verify import verify_pdf
from agent.signing.report import SignatureReport, SignatureStatus
from agent.signing.xmldsig import parse_and_verify

FORMAT = 1
#: Verdicts that count as a verification failure for ``verification.on_failure: quarantine``.
#: An unsigned document and an XML signature "altered in transit" by the axis (AXIS.md §9) are
#: reported, never held against the document.
FAILED = frozenset({SignatureStatus.INVALID, SignatureStatus.UNTRUSTED, SignatureStatus.REVOKED,
                    SignatureStatus.EXPIRED, SignatureStatus.NOT_YET_VALID})


@dataclass
class Staged:
    """A staged delivery: where it is, what the package says, and every signature verdict."""

    folder: Path
    facts: DocumentFacts
    reports: list[SignatureReport] = field(default_factory=list)

    @property
    def failures(self) -> list[SignatureReport]:
        return [r for r in self.reports if r.status in FAILED]


def staging_path(inbox: Path, name: str) -> Path:
    return inbox / f"{TEMP_PREFIX}stage-{name}"[:255]


def stage(
    ctx: ServiceContext, spool: Path, sha256: str, staging: Path, meta: dict[str, Any]
) -> Staged:
    """Build ``staging`` from the spooled package (rebuilt from scratch if it exists)."""
    discard(staging)
    with disk_errors("stage the inbox folder"):
        staging.mkdir()
    try:
        writer = InboxWriter(staging)
        writer.add_package(spool, sha256)
        package, reports = _parse(ctx, spool, writer)
        meta = {**meta, "validation": [str(w) for w in check_received(ctx.config, package)],
                "labels": labels(ctx, package)}
        ctx.failpoints.hit("during-inbox-write")
        described = _attachments(ctx, writer, package.attachments)
        reports += _verify_pdfs(ctx, staging, described)
        facts = edoc_facts(package)
        writer.write_document(
            _document(package, facts, described, reports, sha256, meta, writer.files))
        writer.finish()
        with disk_errors("stage the inbox folder"):
            fsync_tree(staging)
    except BaseException:
        discard(staging)
        raise
    return Staged(staging, facts, reports)


def discard(staging: Path) -> None:
    with disk_errors("remove a staged folder"):
        if staging.exists():
            remove_tree(staging)


def _parse(
    ctx: ServiceContext, spool: Path, writer: InboxWriter
) -> tuple[EdocPackage, list[SignatureReport]]:
    limits = parse_limits(ctx.config)
    with disk_errors("read the spooled package"), spool.open("rb") as stream:
        if ctx.config.verification.xml_signature:
            package, report = parse_and_verify(stream, ctx.trust, ctx.now(), writer,
                                               limits=limits)
            reports = [report]
        else:
            package, reports = parse_package(stream, writer, limits=limits), []
    if not isinstance(package, EdocPackage):
        raise PackageError("a status package arrived in the document list",
                           hint="the sender used messagetype=edoc for a status package")
    return package, reports


@dataclass(frozen=True, slots=True)
class _Delivered:
    key: str  # relative path in the folder
    info: AttachmentInfo
    unwrapped_from: str | None = None


def _attachments(
    ctx: ServiceContext, writer: InboxWriter, infos: tuple[AttachmentInfo, ...]
) -> list[_Delivered]:
    """Each attachment as delivered; one-entry ZIP wrappers are replaced by their content."""
    keys = [k for k in writer.files if k.startswith(f"{ATTACHMENTS}/")]
    return [_unwrapped(ctx, writer, key, info) for key, info in zip(keys, infos, strict=True)]


def _unwrapped(
    ctx: ServiceContext, writer: InboxWriter, key: str, info: AttachmentInfo
) -> _Delivered:
    path = writer.staging / key
    limits = zip_limits(ctx.config)
    with disk_errors(f"read {key}"), path.open("rb") as stream:
        entry = plan_unwrap(stream, limits)
        if entry is None:
            return _Delivered(key, info)
        declared = info.attachment_name or path.name
        with writer.open(info.index, info.content_id, deliver_name(declared, entry.name)) as out:
            unwrap(stream, entry, declared, out, limits)
    new_key = next(reversed(writer.files))
    with disk_errors(f"remove {key}"):
        os.unlink(path)
    del writer.files[key]
    return _Delivered(new_key, info, unwrapped_from=key.removeprefix(f"{ATTACHMENTS}/"))


def _verify_pdfs(
    ctx: ServiceContext, staging: Path, delivered: list[_Delivered]
) -> list[SignatureReport]:
    if not ctx.config.verification.pdf_signatures:
        return []
    reports: list[SignatureReport] = []
    for item in delivered:
        name = item.key.removeprefix(f"{ATTACHMENTS}/")
        content_type = None if item.unwrapped_from else item.info.content_type
        if not is_pdf(name, content_type):
            continue
        with disk_errors(f"read {name}"), (staging / item.key).open("rb") as stream:
            reports += verify_pdf(stream, ctx.trust, target=name, now=ctx.now())
    return reports


def edoc_facts(package: EdocPackage) -> DocumentFacts:
    header = package.header
    business = package.trace_list.business if package.trace_list else None
    business_type = int(business.business_doc_type) if business else 0
    return DocumentFacts(
        document_id=header.document_id, sender_id=header.sender.organ_id,
        recipients=tuple(dict.fromkeys(r.organ_id for r in header.recipients)),
        business_type=business_type,
        ref_document_id=business.document_id if business and business_type else None,
        code=header.code.full if header.code else None, subject=header.subject,
    )


def _document(
    package: EdocPackage, facts: DocumentFacts, delivered: list[_Delivered],
    reports: list[SignatureReport], sha256: str, meta: dict[str, Any],
    files: dict[str, tuple[str, int]],
) -> dict[str, Any]:
    """``document.json``: what the DMS needs to register the document (folder-contract §5)."""
    return {
        "format": FORMAT, **meta,
        "document_id": facts.document_id, "sender": facts.sender_id,
        "recipients": list(facts.recipients), "code": facts.code, "subject": facts.subject,
        "business_type": facts.business_type, "ref_document_id": facts.ref_document_id,
        "package_sha256": sha256,
        "header": to_plain(package.header),
        "trace": to_plain(package.trace_list) if package.trace_list else None,
        "attachments": [_attachment_entry(d, files) for d in delivered],
        "signatures": [r.to_dict() for r in reports],
        "signatures_ok": not any(r.status in FAILED for r in reports),
    }


def _attachment_entry(item: _Delivered, files: dict[str, tuple[str, int]]) -> dict[str, Any]:
    info = item.info
    sha256, size = files.get(item.key, (info.sha256, info.size))
    return {
        "file": item.key, "declared_name": info.attachment_name,
        "content_type": info.content_type, "description": info.description,
        "size": size, "sha256": sha256, "unwrapped_from": item.unwrapped_from,
    }


def labels(ctx: ServiceContext, package: EdocPackage) -> dict[str, str | None]:
    """The configured labels (``mappings``) of the coded values whose meaning is open."""
    mappings, header = ctx.config.mappings, package.header
    priority = header.other_info.priority if header.other_info else None
    doc_type = header.document_type.type if header.document_type else None
    return {
        "priority": None if priority is None else mappings.priority.get(priority),
        "document_type": None if doc_type is None else mappings.document_type.get(doc_type),
        "steering_type": None if header.steering_type is None
        else mappings.steering_type.get(header.steering_type),
    }


def received_meta(organ_id: str, axis_doc_id: str, now: dt.datetime) -> dict[str, Any]:
    return {"organ_id": organ_id, "axis_doc_id": axis_doc_id, "received_at": now.isoformat()}
