"""``lienthong-agent edxml``: look inside and build edXML packages (QCVN 102:2016).

``edxml inspect FILE [--json] [--level off|bkav|strict]``
    Parses the package (edoc or status) and prints its header, business type (new / recall /
    update / replace), each attachment with its size, SHA-256 and the name it would be delivered
    under (after the name policy and the one-entry ZIP rule), the ``Signature`` elements found, a
    ``signatures`` section with the verdict of the XML signature and of every PDF attachment's
    signatures (judged against ``--trust`` anchors; without them an intact signature shows as
    ``untrusted``), and the validation problems. Exit 0 only when the package parses and has no
    error-level problem; 1 otherwise (with ``--json`` the error is in the JSON as well).

``edxml build --metadata META.yaml|META.json [--attachment FILE ...] -o OUT``
    Writes a package. The metadata file mirrors the model, keys are the model's field names::

        kind: edoc                  # or: status
        header:                     # edoc MessageHeader (AXIS.md §3.2) / status header (§4.1)
          sender: {organ_id: 000.00.13.H53, organ_name: Sở TT&TT tỉnh Tây Ninh}
          recipients:
            - {organ_id: 000.00.31.H53, organ_name: UBND huyện Bến Cầu}
          document_id: 000.00.13.H53,2024/11/05,412/STTTT-VP
          code: {code_number: "412", code_notation: STTTT-VP}
          promulgation_info: {place: Tây Ninh, promulgation_date: 2024/11/05}
          document_type: {type: 1, type_detail: 0, type_name: Công văn}
          subject: V/v ...
          other_info: {priority: 0, page_amount: 1, direction: false}
          to_places: [Như trên, "Lưu: VT, VP"]
        trace_list:                 # edoc only, optional: default is one TraceHeader (sender,
          trace_headers:            # now) and Bussiness {document_id, business_doc_type: new}
            - {organ_id: 000.00.13.H53, timestamp: 2024/11/05 08:30:00}
          business: {document_id: ..., business_doc_type: new, paper: 0,
                     staff_info: {department: Văn phòng, staff: Trần Thị B}}
        attachments:                # edoc only, optional; --attachment FILE adds more
          - file: 412-STTTT-VP.pdf  # relative to the metadata file
            name: 412-STTTT-VP.pdf  # default: the file's name
            content_type: application/pdf   # default: guessed from the name
            description: Công văn số 412/STTTT-VP
            content_id: 3f6d2a8e-...        # default: a fresh UUID

    A status header has ``sender``, ``response_for`` {organ_id, code, document_id,
    promulgation_date}, ``staff_info``, ``status_code`` ("03"), ``description`` and ``timestamp``
    (default: now). Dates ``yyyy/MM/dd``, timestamps ``yyyy/MM/dd HH:mm:ss`` (Vietnam local time);
    ISO forms and YAML dates work too. ``inspect --json`` prints ``header`` and ``trace_list`` in
    this same form. Unknown keys are refused with their path.

``edxml sign`` / ``edxml verify`` live in ``agent.cli.edxml_sign`` / ``agent.cli.edxml_verify``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import mimetypes
import os
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast

from agent.cli import EXIT_INVALID, EXIT_OK, edxml_sign, edxml_verify
from agent.errors import LienthongError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from agent.core.edxml import AttachmentSource, EdocPackage
    from agent.signing.trust import TrustPolicy

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
_ATTACHMENT_KEYS = frozenset(
    {"file", "name", "content_type", "description", "content_id", "field_name", "mime_type"}
)


def register(subparsers: Any) -> None:
    """Add ``edxml`` and its subcommands to the top-level parser."""
    parser = subparsers.add_parser(
        "edxml",
        help="inspect or build edXML packages",
        description="Look inside and build edXML packages (QCVN 102:2016).",
    )
    sub = parser.add_subparsers(dest="edxml_command", metavar="ACTION", required=True)
    _register_inspect(sub)
    _register_build(sub)
    edxml_sign.register(sub)
    edxml_verify.register(sub)


def _register_inspect(sub: Any) -> None:
    p = sub.add_parser(
        "inspect",
        help="parse a package and show its header, attachments and problems",
        description="Parse an edXML package and show what it contains. Exit 0 only when it is "
        "valid at the chosen level.",
    )
    p.add_argument("file", type=Path, help="the .edxml file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--level",
        choices=("off", "bkav", "strict"),
        default="bkav",
        help="validation level (default bkav; strict adds organ-code and name warnings)",
    )
    edxml_verify.add_trust_arguments(p, required=False)
    p.set_defaults(func=_inspect)


def _register_build(sub: Any) -> None:
    p = sub.add_parser(
        "build",
        help="write a package from a metadata file and attachments",
        description="Build an edXML package. The metadata file format is described in "
        "README.md, section 'edxml build'.",
    )
    p.add_argument("--metadata", type=Path, required=True, help="META.yaml or META.json")
    p.add_argument(
        "--attachment", type=Path, action="append", default=[], help="a file to attach"
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="the package to write")
    p.set_defaults(func=_build)


# --- inspect --------------------------------------------------------------------------------------


class _Forward(io.BytesIO):
    """Hands the parser's writes to a spool file that outlives the parser's ``close()``."""

    def __init__(self, target: IO[bytes]) -> None:
        super().__init__()
        self.target = target

    def write(self, data: ReadableBuffer, /) -> int:
        return self.target.write(data)


class _SpoolSink:
    def __init__(self) -> None:
        self.files: dict[int, IO[bytes]] = {}

    def open(self, index: int, content_id: str, declared_name: str) -> BinaryIO:
        spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - closed below
        self.files[index] = spool
        return _Forward(spool)

    def close(self) -> None:
        for spool in self.files.values():
            spool.close()


def _inspect(args: argparse.Namespace) -> int:
    try:
        report = inspect_file(args.file, args.level, edxml_verify.trust_policy(args))
    except LienthongError as exc:
        if not args.json:
            raise
        print(json.dumps({"file": str(args.file), "valid": False, "error": exc.to_dict()}))
        return EXIT_INVALID
    except OSError as exc:
        print(f"lienthong-agent: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(_describe(report))
    return EXIT_OK if report["valid"] else EXIT_INVALID


def inspect_file(
    path: Path, level: str = "bkav", trust: TrustPolicy | None = None
) -> dict[str, Any]:
    """Parse ``path`` and return the JSON-ready report ``edxml inspect`` prints."""
    from agent.core.edxml import EdocPackage, parse_package, to_plain, validate

    sink = _SpoolSink()
    try:
        with path.open("rb") as stream:
            package = parse_package(stream, sink)
        problems = [
            {"severity": p.severity, "path": p.path, "message": p.message}
            for p in validate(package, level)
        ]
        report: dict[str, Any] = {
            "file": str(path),
            "kind": "edoc" if isinstance(package, EdocPackage) else "status",
            "header": to_plain(package.header),
        }
        if isinstance(package, EdocPackage):
            report.update(_edoc_facts(package, sink, problems))
    finally:
        sink.close()
    report["signature_elements"] = [to_plain(s) for s in package.signatures]
    report["signatures"] = edxml_verify.signature_reports(path, trust)
    report["problems"] = problems
    report["valid"] = not any(p["severity"] == "error" for p in problems)
    return report


def _edoc_facts(
    package: EdocPackage, sink: _SpoolSink, problems: list[dict[str, str]]
) -> dict[str, Any]:
    from agent.core.edxml import to_plain

    business = package.business_doc_type
    attachments = []
    for info in package.attachments:
        entry = to_plain(info)
        entry.update(_delivery(info.attachment_name or "", sink.files.get(info.index), problems))
        attachments.append(entry)
    return {
        "trace_list": to_plain(package.trace_list) if package.trace_list else None,
        "business_doc_type": business.name.lower() if business is not None else None,
        "attachments": attachments,
    }


class _Null:
    def write(self, data: bytes, /) -> int:
        return len(data)


def _delivery(
    declared: str, spool: IO[bytes] | None, problems: list[dict[str, str]]
) -> dict[str, Any]:
    """How a receiver would deliver this attachment: its name, unwrapped or not."""
    from agent.core.edxml import safe_attachment_name, unwrap_attachment
    from agent.errors import AttachmentError

    try:
        deliver = safe_attachment_name(declared)
        unwrapped = unwrap_attachment(cast(BinaryIO, spool), declared, _Null()) if spool else None
    except AttachmentError as exc:
        problems.append({"severity": "error", "path": declared, "message": exc.message})
        return {"deliver_name": None, "refused": exc.to_dict()}
    if unwrapped is None:
        return {"deliver_name": deliver}
    return {
        "deliver_name": unwrapped.deliver_name,
        "unwrapped": {
            "entry": unwrapped.entry_name,
            "size": unwrapped.size,
            "sha256": unwrapped.sha256,
        },
    }


def _describe(report: dict[str, Any]) -> str:
    header = report["header"]
    lines = [f"{report['file']}: {report['kind']} package"]
    sender = header["sender"]
    lines.append(f"  from      {sender['organ_id']}  {sender.get('organ_name', '')}")
    if report["kind"] == "edoc":
        for to in header["recipients"]:
            lines.append(f"  to        {to['organ_id']}  {to.get('organ_name', '')}")
        lines.append(f"  document  {header['document_id']}")
        lines.append(f"  subject   {header.get('subject', '')}")
        lines.append(f"  business  {report['business_doc_type']}")
        for i, a in enumerate(report["attachments"], 1):
            lines.append(
                f"  attach #{i} {a.get('attachment_name')} ({a.get('content_type')}) "
                f"{a['size']} bytes sha256 {a['sha256']} -> {a['deliver_name']}"
            )
    else:
        rf = header["response_for"]
        lines.append(
            f"  status    {header['status_code']} for {rf['document_id']} ({rf['organ_id']})"
        )
    for s in report["signature_elements"]:
        lines.append(f"  Signature element in {s['namespace']} at {s['path']}")
    for r in report["signatures"]:
        lines.append(f"  signature {r.get('kind')} {r.get('target')}: {r.get('status')}")
    lines.extend(f"  {p['severity']}: {p['path']}: {p['message']}" for p in report["problems"])
    lines.append("  valid" if report["valid"] else "  NOT valid")
    return "\n".join(lines)


# --- build ----------------------------------------------------------------------------------------


def _build(args: argparse.Namespace) -> int:
    try:
        metadata = _load_metadata(args.metadata)
    except OSError as exc:
        print(f"lienthong-agent: cannot read {args.metadata}: {exc.strerror}", file=sys.stderr)
        return EXIT_INVALID
    partial = args.output.with_name(args.output.name + ".partial")
    try:
        with partial.open("wb") as out:
            report = build_from_metadata(metadata, args.metadata.parent, args.attachment, out)
        os.replace(partial, args.output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        print(f"lienthong-agent: cannot write {args.output}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    print(f"{args.output}: {report.bytes_written} bytes, {len(report.attachments)} attachment(s)")
    for a in report.attachments:
        print(f"  {a.name}: {a.size} bytes sha256 {a.sha256} cid:{a.content_id}")
    return EXIT_OK


def _load_metadata(path: Path) -> dict[str, Any]:
    import yaml

    from agent.errors import InvalidValueError

    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidValueError(
            f"the metadata file {path} cannot be read: {exc}",
            hint="fix the JSON / YAML syntax at the position shown.",
        ) from exc
    if not isinstance(data, dict):
        raise InvalidValueError(f"the metadata file {path} must hold a mapping at the top")
    return data


def build_from_metadata(
    metadata: dict[str, Any], base: Path, extra: list[Path], out: BinaryIO
) -> Any:
    """Build the package described by ``metadata`` into ``out``; return the build report."""
    from agent.core.edxml import (
        MessageHeader,
        StatusHeader,
        build_edoc,
        build_status,
        from_plain,
    )
    from agent.errors import InvalidValueError

    unknown = sorted(set(metadata) - {"kind", "header", "trace_list", "attachments"})
    if unknown:
        raise InvalidValueError(f"metadata: unknown top-level key(s) {', '.join(unknown)}")
    kind = metadata.get("kind", "edoc")
    now = dt.datetime.now(VIETNAM).replace(tzinfo=None, microsecond=0)
    if kind == "status":
        header_data = {"timestamp": now, **(metadata.get("header") or {})}
        return build_status(out, from_plain(StatusHeader, header_data, "header"))
    if kind != "edoc":
        raise InvalidValueError(f"metadata at 'kind': {kind!r} is not edoc or status")
    header = from_plain(MessageHeader, metadata.get("header"), "header")
    trace = _trace_list(metadata.get("trace_list"), header, now)
    sources = _sources(metadata.get("attachments") or [], base, extra)
    return build_edoc(out, header, trace, sources)


def _trace_list(data: Any, header: Any, now: dt.datetime) -> Any:
    from agent.core.edxml import (
        Business,
        BusinessDocType,
        TraceHeader,
        TraceHeaderList,
        from_plain,
    )

    if data is not None:
        return from_plain(TraceHeaderList, data, "trace_list")
    return TraceHeaderList(
        trace_headers=(TraceHeader(organ_id=header.sender.organ_id, timestamp=now),),
        business=Business(document_id=header.document_id, business_doc_type=BusinessDocType.NEW),
    )


def _sources(items: Any, base: Path, extra: list[Path]) -> list[AttachmentSource]:
    from agent.errors import InvalidValueError

    if not isinstance(items, list):
        raise InvalidValueError("metadata at 'attachments': expected a list")
    specs = [dict(item) if isinstance(item, dict) else {"file": item} for item in items]
    specs += [{"file": str(path.resolve())} for path in extra]
    sources = []
    for i, spec in enumerate(specs):
        unknown = sorted(set(spec) - _ATTACHMENT_KEYS)
        if unknown or "file" not in spec:
            raise InvalidValueError(
                f"metadata at 'attachments[{i}]': needs 'file'; unknown key(s) {unknown}"
            )
        sources.append(_source(spec, base))
    return sources


def _source(spec: dict[str, Any], base: Path) -> AttachmentSource:
    from agent.core.edxml import AttachmentSource
    from agent.errors import InvalidValueError

    path = base / str(spec["file"])
    if not path.is_file():
        raise InvalidValueError(
            f"the attachment file {path} does not exist",
            hint="metadata 'file' paths are relative to the metadata file's folder.",
        )
    name = str(spec.get("name") or path.name)
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    opener: Callable[[], BinaryIO] = lambda: path.open("rb")  # noqa: E731
    return AttachmentSource(
        content_id=str(spec.get("content_id") or uuid.uuid4()),
        name=name,
        content_type=str(spec.get("content_type") or guessed),
        open=opener,
        description=spec.get("description"),
        field_name=spec.get("field_name"),
        mime_type=spec.get("mime_type"),
    )
