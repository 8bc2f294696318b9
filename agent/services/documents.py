"""Reading a claimed outbox item into what the journal records about it (``DocumentFacts``).

Two kinds of item (docs/folder-contract.md §3): a document folder (metadata file + attachments,
read and checked by :mod:`agent.files.metadata`) or a ready edXML package (parsed, its header
read). Either way the sender must be an organ this agent serves (and the folder's own organ in
the per-organ layout). Anything else is refused with an explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.core.edxml.model import EdocPackage
from agent.core.edxml.parser import parse_edoc
from agent.core.edxml.sinks import DiscardSink
from agent.errors import ExchangeItemError
from agent.files.atomic import disk_errors
from agent.files.metadata import OutboundRequest, load_document_folder
from agent.files.pickup import ItemKind, classify
from agent.journal.records import DocumentFacts
from agent.services.checks import check_outgoing
from agent.services.context import ServiceContext
from agent.services.limits import parse_limits


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """A claimed outbox item, read and checked."""

    path: Path
    facts: DocumentFacts
    request: OutboundRequest | None  # a document folder; None for a ready package
    signed: bool = False  # a ready package that already carries a Signature


def read_item(ctx: ServiceContext, item: Path, folder_organ: str | None) -> ItemFacts:
    """Read and check ``item``; ExchangeItemError (or a ProtocolError) says what is wrong."""
    kind = classify(item)
    if kind is ItemKind.FOLDER:
        return _folder(ctx, item, folder_organ)
    if kind is ItemKind.PACKAGE:
        return _package(ctx, item, folder_organ)
    raise ExchangeItemError(
        f"'{item.name}' is neither an edXML package nor a document folder",
        problems=(f"{item.name}: expected a *.edxml / *.xml file, or a folder with"
                  " metadata.yaml, metadata.yml or metadata.json",),
        hint="see docs/folder-contract.md §3 for what the outbox accepts",
    )


def _folder(ctx: ServiceContext, item: Path, folder_organ: str | None) -> ItemFacts:
    request = load_document_folder(
        item, max_metadata_bytes=ctx.config.limits.max_metadata_bytes,
        ignore=tuple(ctx.config.pickup.ignore_patterns))
    m = request.metadata
    sender = ctx.organs.check_sender(folder_organ, m.sender)
    facts = DocumentFacts(
        document_id=request.document_id(sender), sender_id=sender,
        recipients=request.recipients, business_type=int(m.business.type),
        ref_document_id=m.business.document_id, code=m.code, subject=m.subject,
    )
    return ItemFacts(item, facts, request)


def _package(ctx: ServiceContext, item: Path, folder_organ: str | None) -> ItemFacts:
    with disk_errors(f"read {item.name}"), item.open("rb") as stream:
        package = parse_edoc(stream, DiscardSink(), limits=parse_limits(ctx.config))
    check_outgoing(ctx.config, package)
    return ItemFacts(item, package_facts(ctx, package, folder_organ), None,
                     bool(package.signatures))


def package_facts(
    ctx: ServiceContext, package: EdocPackage, folder_organ: str | None
) -> DocumentFacts:
    header = package.header
    sender = ctx.organs.check_sender(folder_organ, header.sender.organ_id)
    business = package.trace_list.business if package.trace_list else None
    business_type = int(business.business_doc_type) if business else 0
    return DocumentFacts(
        document_id=header.document_id, sender_id=sender,
        recipients=tuple(dict.fromkeys(r.organ_id for r in header.recipients)),
        business_type=business_type,
        ref_document_id=business.document_id if business and business_type else None,
        code=header.code.full if header.code else None, subject=header.subject,
    )
