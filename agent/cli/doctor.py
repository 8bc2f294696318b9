"""``lienthong-agent doctor``: check the installation; each check says ok, warning or error and
how to fix it. The checks themselves are in :mod:`agent.doctor`."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from agent.cli import EXIT_CONFIG, EXIT_INVALID, EXIT_OK
from agent.cli._output import print_json
from agent.cli._state import DEFAULT_CONFIG

if TYPE_CHECKING:
    from agent.doctor import DoctorReport

_LABEL = {"ok": "ok", "warning": "WARNING", "error": "ERROR", "skipped": "skipped"}


def register(subparsers: Any) -> None:
    """Add ``doctor`` to the top-level parser."""
    parser = subparsers.add_parser(
        "doctor",
        help="check configuration, clock, keys, certificates, folders, journal and the axis",
        description="Check that this installation can work: the configuration; the axis"
        " (reachable, credentials accepted); the clock against the axis's Date header; the"
        " signing key against its certificate; days to the certificate's expiry; trust anchors"
        " and CRLs; the exchange folders (writable by this user, one file system); the journal"
        " (readable, integrity). Each check prints ok, warning or error, with a fix. Run it as"
        " the service user (sudo -u lienthong) to see what the agent sees.",
        epilog="exit codes: 0 no error (warnings allowed), 1 at least one error, 3 the"
        " configuration cannot be loaded. Checks and JSON shape: docs/cli.md#doctor",
    )
    parser.add_argument("-c", "--config", default=DEFAULT_CONFIG, metavar="FILE",
                        help=f"the configuration (default {DEFAULT_CONFIG})")
    parser.add_argument("--credentials-dir", metavar="DIR",
                        help="where '*_credential' secrets are outside systemd (as"
                        " $CREDENTIALS_DIRECTORY, e.g. /etc/lienthong-agent/credentials)")
    parser.add_argument("--offline", action="store_true",
                        help="do not contact the axis (skips the axis and clock checks)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="time allowed to connect to and hear from the axis (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON (docs/cli.md)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.doctor import run_doctor

    environ = dict(os.environ)
    if args.credentials_dir:
        environ["CREDENTIALS_DIRECTORY"] = args.credentials_dir
    report = run_doctor(args.config, environ=environ, network=not args.offline,
                        timeout=args.timeout)
    if args.json:
        print_json({"config": args.config, "healthy": report.healthy, "counts": report.counts(),
                    "checks": [c.to_dict() for c in report.checks]})
    else:
        print(render(report, args.config))
    return exit_code(report)


def exit_code(report: DoctorReport) -> int:
    if report.check("config").status.value == "error" and all(
            c.status.value == "skipped" for c in report.checks[1:]):
        return EXIT_CONFIG
    return EXIT_OK if report.healthy else EXIT_INVALID


def render(report: DoctorReport, config: str) -> str:
    """One block per check: status, name, message, and the fix under it."""
    lines = [f"lienthong-agent doctor: {config}"]
    for check in report.checks:
        lines.append(f"  {_LABEL[check.status.value]:<8} {check.name:<17} {check.message}")
        if check.fix:
            lines.append(f"  {'':<8} {'':<17} fix: {check.fix}")
    counts = report.counts()
    lines.append(f"{counts['ok']} ok, {counts['warning']} warning(s), {counts['error']}"
                 f" error(s), {counts['skipped']} skipped")
    return "\n".join(lines)
