"""``lienthong-agent edxml verify``: check every signature of a package.

``edxml verify FILE --trust CA.pem [--trust ...] [--crl CRL ...] [--require-crl] [--at TIME]
[--after-axis] [--json]``

Judges the XML signature on the package and the PAdES signatures inside its PDF attachments (after
unwrapping one-entry ZIP attachments as a receiver does). Each verdict is ``valid``, ``invalid``,
``untrusted``, ``revoked``, ``expired``, ``not-yet-valid``, ``unsigned`` or, for the XML signature,
``altered-in-transit`` (the national axis rewrote the envelope, AXIS.md §9: expected after the
axis and not an attack by itself). The XML signature's certificate is judged at the sender's own
TraceHeader Timestamp (Vietnam time), a PDF signature's at its signing time; both capped at
``--at`` (default: now).

Exit 0 only when the file is valid: at least one valid signature and none that fails (an
``unsigned`` verdict does not fail by itself; ``--after-axis`` also tolerates an XML
``altered-in-transit`` verdict, for packages received through the national axis).

:func:`signature_reports` also serves ``edxml inspect``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli import EXIT_INVALID, EXIT_OK

if TYPE_CHECKING:
    from agent.signing.report import SignatureReport
    from agent.signing.trust import TrustPolicy


def register(sub: Any) -> None:
    """Add ``verify`` under ``edxml``."""
    p = sub.add_parser(
        "verify",
        help="check the package's XML signature and its PDFs' signatures against trust anchors",
        description="Verify every signature of an edXML package: the XML signature on the package "
        "and the PAdES signatures inside its PDF attachments. Exit 0 only when the file is valid: "
        "at least one valid signature and none that fails.",
    )
    p.add_argument("file", type=Path, help="the .edxml package")
    add_trust_arguments(p, required=True)
    p.add_argument(
        "--after-axis", action="store_true",
        help="the package came through the national axis: an XML 'altered-in-transit' verdict "
        "does not fail the file (the PDF signatures must hold)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_verify)


def add_trust_arguments(p: argparse.ArgumentParser, *, required: bool) -> None:
    """``--trust``, ``--crl``, ``--require-crl`` and ``--at``, shared with ``edxml inspect``."""
    p.add_argument(
        "--trust", type=Path, action="append", required=required, default=None,
        metavar="CA.pem",
        help="trust anchor certificates (PEM bundle or DER); repeat for several"
        + ("" if required else "; without any, intact signatures show as untrusted"),
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


def trust_policy(args: argparse.Namespace) -> TrustPolicy:
    """The trust policy the arguments describe (no anchors when ``--trust`` is absent)."""
    from agent.signing.trust import TrustPolicy

    return TrustPolicy.from_pem_files(
        args.trust or [], args.crl, require_revocation_info=args.require_crl
    )


def _moment(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 moment: {text!r}") from exc
    if value.utcoffset() is None:
        raise argparse.ArgumentTypeError("give the moment with its offset, e.g. +07:00")
    return value


def _verify(args: argparse.Namespace) -> int:
    from agent.signing.package import file_is_valid, verify_package

    now = args.at or dt.datetime.now(dt.UTC)
    reports = verify_package(args.file, trust_policy(args), now).reports
    valid = file_is_valid(reports, after_axis=args.after_axis)
    if args.json:
        output = {
            "file": str(args.file),
            "valid": valid,
            "signatures": [r.to_dict() for r in reports],
        }
        print(json.dumps(output, ensure_ascii=False, indent=2))
    else:
        print("\n".join(describe(r) for r in reports))
        print(f"{args.file}: {'valid' if valid else 'NOT valid'}")
    return EXIT_OK if valid else EXIT_INVALID


def describe(report: SignatureReport) -> str:
    """The human-readable verdict of one signature, a few lines."""
    what = "XML signature on the package" if report.kind == "xml" else (
        f"PDF signature #{report.index + 1} in {report.target}"
    )
    lines = [f"{what}: {report.status.value}"]
    details = dict(report.details)
    if report.signer_subject:
        lines.append(f"  signer:       {report.signer_subject}")
    elif "claimed_signer" in details:
        lines.append(f"  claimed by:   {details['claimed_signer']} (not verified)")
    if report.signing_time:
        source = details.get("signing_time_source", "")
        suffix = f" ({source})" if source else ""
        lines.append(f"  signing time: {report.signing_time.isoformat()}{suffix}")
    if report.error is not None:
        lines.append(f"  reason:       {report.error.message}")
        if report.error.hint:
            lines.append(f"  hint:         {report.error.hint}")
    for key in ("transit_marks", "signed_info_authentic", "revocation_checked", "coverage"):
        if key in details:
            lines.append(f"  {key.replace('_', ' ')}: {details[key]}")
    return "\n".join(lines)


def signature_reports(path: Path, trust: TrustPolicy | None = None) -> list[dict[str, Any]]:
    """For ``edxml inspect``: every signature's report (no anchors: intact shows untrusted)."""
    from agent.signing.package import verify_package
    from agent.signing.trust import TrustPolicy

    policy = trust if trust is not None else TrustPolicy([])
    result = verify_package(path, policy, dt.datetime.now(dt.UTC))
    return [r.to_dict() for r in result.reports]
