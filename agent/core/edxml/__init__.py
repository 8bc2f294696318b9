"""edXML packages of the national axis (QCVN 102:2016): model, builder, parser and their guards.

=======================  ======================================================================
``model``                frozen dataclasses, field order = canonical element order (AXIS.md §3.2)
``builder``              :func:`build_edoc`, :func:`build_status`: exact §3.1 layout, streamed
``parser``               :func:`parse_package` / ``parse_edoc`` / ``parse_status``: one pass,
                         payloads streamed to an :class:`AttachmentSink`, observers for signatures
``validate``             :func:`validate` at ``off`` / ``bkav`` / ``strict``
``names``                :func:`safe_attachment_name`, :func:`unique_names`
``zipwrap``              :func:`unwrap_attachment`: the §3.4 one-entry ZIP rule, bounded
``dictform``             :func:`to_plain` / :func:`from_plain` (metadata files, ``--json``)
=======================  ======================================================================

Pure: streams and callables come from the caller; no files, clock, environment or logging.
"""

from agent.core.edxml.b64 import Digest
from agent.core.edxml.builder import (
    AttachmentSource,
    BuildReport,
    BuiltAttachment,
    build_edoc,
    build_status,
)
from agent.core.edxml.dictform import from_plain, to_plain
from agent.core.edxml.model import (
    QCVN_NS,
    XMLDSIG_NS,
    AttachmentInfo,
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    DocumentCode,
    DocumentType,
    EdocPackage,
    ManifestReference,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignatureInfo,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusHeader,
    StatusPackage,
    StatusResponseFor,
    TraceHeader,
    TraceHeaderList,
)
from agent.core.edxml.names import safe_attachment_name, unique_names
from agent.core.edxml.parser import parse_edoc, parse_package, parse_status
from agent.core.edxml.sinks import AttachmentSink, DiscardSink, MemorySink
from agent.core.edxml.tree import ParseLimits
from agent.core.edxml.validate import Problem, ValidationLevel, validate
from agent.core.edxml.zipwrap import Unwrapped, ZipLimits, unwrap_attachment

__all__ = [
    "QCVN_NS",
    "XMLDSIG_NS",
    "AttachmentInfo",
    "AttachmentSink",
    "AttachmentSource",
    "BuildReport",
    "BuiltAttachment",
    "Business",
    "BusinessDocType",
    "BusinessDocumentInfo",
    "Digest",
    "DiscardSink",
    "DocumentCode",
    "DocumentType",
    "EdocPackage",
    "ManifestReference",
    "MemorySink",
    "MessageHeader",
    "Organization",
    "OtherInfo",
    "ParseLimits",
    "Problem",
    "PromulgationInfo",
    "Receiver",
    "ReplacementInfo",
    "ResponseFor",
    "SignatureInfo",
    "SignerInfo",
    "StaffInfo",
    "StatusCode",
    "StatusHeader",
    "StatusPackage",
    "StatusResponseFor",
    "TraceHeader",
    "TraceHeaderList",
    "Unwrapped",
    "ValidationLevel",
    "ZipLimits",
    "build_edoc",
    "build_status",
    "from_plain",
    "parse_edoc",
    "parse_package",
    "parse_status",
    "safe_attachment_name",
    "to_plain",
    "unique_names",
    "unwrap_attachment",
    "validate",
]
