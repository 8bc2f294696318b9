"""Parse edXML packages, edoc and status, in one streaming pass (AXIS.md §3, §4, §11.5).

Built on :func:`agent.core.xmlstream.read_events` (DOCTYPE / entity refusal, size and depth caps).
``observers`` receive the very same events as the parser, so a signature verifier's digester sees
exactly the bytes the business data was read from. Attachment payloads are base64-decoded as they
stream, written to the caller's :class:`~agent.core.edxml.sinks.AttachmentSink`, and measured
(size, SHA-256) on the way.

Accepted variations: any child order, unknown elements and attributes (``xlink:*`` on ``Reference``,
``id``/``actor`` on ``TraceHeader``), extra ``TraceHeader``\\ s, ``cid:`` with or without prefix,
a leading BOM and whitespace, ``Signature`` in the xmldsig or the QCVN namespace (recorded, not
interpreted). A header with a ``StatusCode`` child is a status package, anything else an edoc.

Required, because routing and correlation need them: edoc ``From/OrganId``, at least one
``To/OrganId``, ``DocumentId``; status ``From/OrganId``, ``ResponseFor/OrganId``,
``ResponseFor/DocumentId``, ``StatusCode``. Everything else is checked by
:func:`agent.core.edxml.validate.validate` at the level the caller chooses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from agent.core.edxml.decode import decode_fields, decode_model, missing
from agent.core.edxml.model import (
    AttachmentInfo,
    EdocPackage,
    ManifestReference,
    MessageHeader,
    SignatureInfo,
    StatusHeader,
    StatusPackage,
    TraceHeaderList,
)
from agent.core.edxml.sinks import AttachmentSink, DiscardSink
from agent.core.edxml.tree import Node, ParseLimits, TreeBuilder, bare_content_id
from agent.core.xmlstream import XmlEvents, read_events
from agent.errors import InvalidValueError, ManifestMismatchError, PackageError

_HEADER = "edXML/edXMLEnvelope/edXMLHeader"


def parse_package(
    stream: BinaryIO,
    sink: AttachmentSink | None = None,
    *,
    limits: ParseLimits | None = None,
    observers: Sequence[XmlEvents] = (),
) -> EdocPackage | StatusPackage:
    """Read one package from ``stream``; attachments go to ``sink`` (default: discarded).

    Raises :class:`agent.errors.ProtocolError` subclasses only (besides what ``sink`` and
    ``observers`` raise). On error, any attachment stream already opened has been closed.
    """
    builder = TreeBuilder(sink or DiscardSink(), limits or ParseLimits())
    try:
        read_events(stream, [builder, *observers], (limits or ParseLimits()).xml)
    finally:
        builder.abort()
    if builder.root is None:
        raise PackageError("the package has no root element")
    return _assemble(builder.root, _signatures(builder))


def parse_edoc(
    stream: BinaryIO,
    sink: AttachmentSink | None = None,
    *,
    limits: ParseLimits | None = None,
    observers: Sequence[XmlEvents] = (),
) -> EdocPackage:
    """Like :func:`parse_package`, refusing a status package."""
    package = parse_package(stream, sink, limits=limits, observers=observers)
    if not isinstance(package, EdocPackage):
        raise PackageError(
            "expected an edoc package, but this is a status package (its header has StatusCode)",
            hint="status packages arrive with messagetype=status; check how it was fetched.",
        )
    return package


def parse_status(
    stream: BinaryIO,
    *,
    limits: ParseLimits | None = None,
    observers: Sequence[XmlEvents] = (),
) -> StatusPackage:
    """Like :func:`parse_package`, refusing an edoc package."""
    package = parse_package(stream, None, limits=limits, observers=observers)
    if not isinstance(package, StatusPackage):
        raise PackageError(
            "expected a status package, but this is an edoc package (its header has no "
            "StatusCode)",
            hint="edoc packages arrive with messagetype=edoc; check how it was fetched.",
        )
    return package


def _assemble(root: Node, signatures: tuple[SignatureInfo, ...]) -> EdocPackage | StatusPackage:
    envelope = _one(root, "edXMLEnvelope", "edXML")
    header = _one(envelope, "edXMLHeader", "edXML/edXMLEnvelope")
    message = _one(header, "MessageHeader", _HEADER)
    path = f"{_HEADER}/MessageHeader"
    if message.named("StatusCode"):
        return StatusPackage(
            header=decode_model(StatusHeader, message, path), signatures=signatures
        )
    edoc_header = decode_model(MessageHeader, message, path)
    if not edoc_header.recipients:
        raise missing(f"{path}/To")
    trace = _opt(header, "TraceHeaderList", _HEADER)
    manifest = _manifest(envelope)
    attachments = _attachments(root)
    _check_manifest(manifest, attachments)
    return EdocPackage(
        header=edoc_header,
        trace_list=decode_model(TraceHeaderList, trace, f"{_HEADER}/TraceHeaderList")
        if trace
        else None,
        manifest=manifest,
        attachments=attachments,
        signatures=signatures,
    )


def _one(node: Node, local: str, path: str) -> Node:
    found = _opt(node, local, path)
    if found is None:
        raise missing(f"{path}/{local}")
    return found


def _opt(node: Node, local: str, path: str) -> Node | None:
    found = node.named(local)
    if len(found) > 1:
        raise InvalidValueError(
            f"{path}/{local} appears {len(found)} times; exactly one is allowed",
            hint="a package with duplicated structural elements is ambiguous and refused.",
        )
    return found[0] if found else None


def _manifest(envelope: Node) -> tuple[ManifestReference, ...]:
    body = _opt(envelope, "edXMLBody", "edXML/edXMLEnvelope")
    if body is None:
        return ()
    path = "edXML/edXMLEnvelope/edXMLBody/edXMLManifest"
    manifest = _opt(body, "edXMLManifest", "edXML/edXMLEnvelope/edXMLBody")
    if manifest is None:
        return ()
    refs = manifest.named("Reference")
    out = []
    for i, node in enumerate(refs):
        ref = decode_model(ManifestReference, node, f"{path}/Reference[{i + 1}]")
        out.append(_replace_cid(ref))
    return tuple(out)


def _replace_cid(ref: ManifestReference) -> ManifestReference:
    return ManifestReference(
        content_id=bare_content_id(ref.content_id),
        content_type=ref.content_type,
        description=ref.description,
        attachment_name=ref.attachment_name,
    )


def _attachments(root: Node) -> tuple[AttachmentInfo, ...]:
    encoded = _opt(root, "AttachmentEncoded", "edXML")
    if encoded is None:
        return ()
    out = []
    for i, node in enumerate(encoded.named("Attachment")):
        path = f"edXML/AttachmentEncoded/Attachment[{i + 1}]"
        fields = decode_fields(AttachmentInfo, node, path)
        digest = next((c.digest for c in node.named("ContentTransferEncoded") if c.digest), None)
        if digest is None:
            raise missing(f"{path}/ContentTransferEncoded")
        fields["content_id"] = bare_content_id(fields["content_id"])
        out.append(AttachmentInfo(**fields, index=i, size=digest.size, sha256=digest.sha256))
    return tuple(out)


def _check_manifest(
    manifest: tuple[ManifestReference, ...], attachments: tuple[AttachmentInfo, ...]
) -> None:
    listed = [r.content_id for r in manifest]
    carried = [a.content_id for a in attachments]
    for what, ids in (("manifest", listed), ("AttachmentEncoded", carried)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ManifestMismatchError(
                f"the {what} lists the ContentId {', '.join(dupes)} more than once",
                hint="each attachment needs its own ContentId; the package is damaged.",
            )
    only_listed = sorted(set(listed) - set(carried))
    only_carried = sorted(set(carried) - set(listed))
    if only_listed or only_carried:
        parts = []
        if only_listed:
            parts.append(f"listed in the manifest but not attached: {', '.join(only_listed)}")
        if only_carried:
            parts.append(f"attached but not in the manifest: {', '.join(only_carried)}")
        raise ManifestMismatchError(
            "manifest and attachments do not correspond: " + "; ".join(parts),
            hint="every edXMLManifest/Reference needs an Attachment with the same ContentId "
            "(cid: prefix ignored) and vice versa; ask the sender to send again.",
        )


def _signatures(builder: TreeBuilder) -> tuple[SignatureInfo, ...]:
    out = []
    for node, parent, path in builder.signatures:
        last = (
            parent is not None
            and parent.is_("edXMLHeader")
            and path == _HEADER
            and list(parent.children)[-1] is node
        )
        out.append(SignatureInfo(namespace=node.ns, path=path, last_in_header=last))
    return tuple(out)
