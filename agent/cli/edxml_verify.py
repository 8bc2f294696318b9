"""``lienthong-agent edxml verify``: check a package's XML signature.

``edxml verify FILE --trust CA.pem [--trust ...] [--crl CRL ...] [--require-crl] [--at TIME]
[--json]``

Prints one verdict: ``valid``, ``invalid``, ``untrusted``, ``revoked``, ``expired``,
``not-yet-valid``, ``unsigned`` or ``altered-in-transit`` (the national axis rewrote the envelope,
AXIS.md §9: expected after the axis and not an attack by itself; check the PDF's signature).
The certificate is judged at the signing time: the sender's own TraceHeader Timestamp (Vietnam
time), capped at ``--at`` (default: now). Exit 0 only when the signature is valid.

:func:`signature_reports` also serves ``edxml inspect``, which has no trust anchors: an intact
signature shows there as ``untrusted``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli import EXIT_INVALID, EXIT_OK

if TYPE_CHECKING:
    from agent.core.edxml import EdocPackage, StatusPackage
    from agent.signing.report import SignatureReport


def register(sub: Any) -> None:
    """Add ``verify`` under ``edxml``."""
    p = sub.add_parser(
        "verify",
        help="check the package's XML signature against trust anchors",
        description="Verify the XML signature of an edXML package. Exit 0 only when valid.",
    )
    p.add_argument("file", type=Path, help="the .edxml package")
    p.add_argument(
        "--trust", type=Path, action="append", required=True, metavar="CA.pem",
        help="trust anchor certificates (PEM bundle or DER); repeat for several",
    )
    p.add_argument("--crl", type=Path, action="append", default=[], help="a CRL (PEM or DER)")
    p.add_argument(
        "--require-crl", action="store_true",
        help="fail unless every certificate below the anchor has a current CRL",
    )
    p.add_argument(
        "--at", type=_moment, metavar="TIME",
        help="judge as of this moment (ISO 8601 with offset; default: now)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_verify)


def _moment(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 moment: {text!r}") from exc
    if value.utcoffset() is None:
        raise argparse.ArgumentTypeError("give the moment with its offset, e.g. +07:00")
    return value


def _verify(args: argparse.Namespace) -> int:
    from agent.signing.trust import TrustPolicy
    from agent.signing.xmldsig import verify_file

    trust = TrustPolicy.from_pem_files(
        args.trust, args.crl, require_revocation_info=args.require_crl
    )
    report = verify_file(args.file, trust, args.at or dt.datetime.now(dt.UTC))
    if args.json:
        output = {"file": str(args.file), **report.to_dict()}
        print(json.dumps(output, ensure_ascii=False, indent=2))
    else:
        print(describe(args.file, report))
    return EXIT_OK if report.ok else EXIT_INVALID


def describe(path: Path, report: SignatureReport) -> str:
    """The human-readable verdict, a few lines."""
    lines = [f"XML signature of {path}: {report.status.value}"]
    details = dict(report.details)
    if report.signer_subject:
        lines.append(f"  signer:       {report.signer_subject}")
    elif "claimed_signer" in details:
        lines.append(f"  claimed by:   {details['claimed_signer']} (not verified)")
    if report.signing_time:
        source = details.get("signing_time_source", "")
        lines.append(f"  signing time: {report.signing_time.isoformat()} ({source})")
    if report.error is not None:
        lines.append(f"  reason:       {report.error.message}")
        if report.error.hint:
            lines.append(f"  hint:         {report.error.hint}")
    for key in ("transit_marks", "signed_info_authentic", "revocation_checked"):
        if key in details:
            lines.append(f"  {key.replace('_', ' ')}: {details[key]}")
    return "\n".join(lines)


def signature_reports(path: Path, package: EdocPackage | StatusPackage) -> list[dict[str, Any]]:
    """For ``edxml inspect``: the XML signature's report, judged without trust anchors."""
    from agent.signing.trust import TrustPolicy
    from agent.signing.xmldsig import verify_file

    report = verify_file(path, TrustPolicy([]), dt.datetime.now(dt.UTC))
    return [report.to_dict()]
