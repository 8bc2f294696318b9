"""``lienthong-agent sandbox``: run the local emulator of the national axis; manage its registry.

``lienthong-agent sandbox [OPTIONS]``
    Serve the axis API on ``--host:--port`` (``--port 0`` picks a free port; ``--port-file`` and
    ``--url-file`` tell which) until SIGTERM or Ctrl-C. Prints ``listening on URL`` on stdout.

``lienthong-agent sandbox agency add|list|lock|unlock|delete``
    Manage the organs of the registry in ``--data-dir`` (also while the server runs).

``lienthong-agent sandbox error-codes``
    Print the error-code table in force (with ``--error-table FILE``).

Everything is described in docs/sandbox.md.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

ADMIN_TOKEN_ENV = "LIENTHONG_SANDBOX_ADMIN_TOKEN"  # noqa: S105 - a variable name, not a token
DEFAULT_DATA_DIR = Path("sandbox-data")


def register(subparsers: Any) -> None:
    """Add ``sandbox`` and its subcommands to the top-level parser."""
    parser = subparsers.add_parser(
        "sandbox",
        help="run a local emulator of the national axis (tests, demos, vendor integration)",
        description="Run a local emulator of the national document interchange axis: every\n"
        "operation of the VNPT SDK API, XroadVnpt HMAC authentication, routing to registered\n"
        "organs, faithful transit rewriting, SQLite persistence and fault injection.\n"
        "Full guide: docs/sandbox.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_EPILOG,
    )
    _add_server_options(parser)
    parser.set_defaults(func=run_server)
    sub = parser.add_subparsers(dest="sandbox_command", metavar="ACTION")
    _register_agency(sub)
    codes = sub.add_parser(
        "error-codes", help="print the error-code table in force",
        description="Print the error codes the sandbox answers with (ErrorCode, name, ErrorDesc):"
        " the built-in table, or the table as overridden by `sandbox --error-table FILE"
        " error-codes`. Exit 0.")
    codes.add_argument("--json", action="store_true", help="print JSON")
    codes.set_defaults(func=print_error_codes)


_EPILOG = """\
examples:
  lienthong-agent sandbox --seed --admin-token dev
  lienthong-agent sandbox --port 0 --port-file port.txt --data-dir /tmp/axis \\
      --system 00.53.W00=env:AXIS_SECRET --organ 000.00.13.H53@00.53.W00
  lienthong-agent sandbox --fault 5xx,ops=sendEdoc,rate=0.1 --fault drop,ops=updateStatus,times=1
  lienthong-agent sandbox agency add 000.22.31.H53 --system 00.53.W00 --name "UBND xã Long Chữ"

fault spec: KIND[,ops=OP+OP][,rate=P][,times=N][,seconds=S][,status=CODE][,retry_after=S]
  kinds: latency 5xx 429 reset hang drop malformed duplicate reorder
"""


def _add_server_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("listening")
    g.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    g.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = a free one)")
    g.add_argument("--prefix", default="", help="path prefix of the operations, e.g. "
                   "/XrdAdapter/adapter (default: none, operations at /sendEdoc ...)")
    g.add_argument("--port-file", type=Path, help="write the bound port to this file once ready")
    g.add_argument("--url-file", type=Path, help="write the base URL to this file once ready")
    g.add_argument("--tls-cert", type=Path, metavar="PEM",
                   help="serve HTTPS with this certificate (chain allowed); needs --tls-key")
    g.add_argument("--tls-key", type=Path, metavar="PEM", help="the certificate's private key")
    g.add_argument("--tls-client-ca", type=Path, metavar="PEM",
                   help="require client certificates issued by these CAs (mutual TLS)")
    g = p.add_argument_group("state and registry")
    g.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                   help="database and package files (default ./sandbox-data); kept across runs")
    g.add_argument("--system", action="append", default=[], metavar="ID=SECRET",
                   help="a connected system and its secret; SECRET may be env:NAME or file:PATH "
                   "(repeatable)")
    g.add_argument("--organ", action="append", default=[], metavar="CODE@SYSTEM_ID[=NAME]",
                   help="an organ registered under a system (repeatable)")
    g.add_argument("--registry", action="append", default=[], type=Path, metavar="FILE",
                   help="registry YAML file with systems and organs (repeatable)")
    g.add_argument("--seed", action="store_true", help="load the built-in seed registry: "
                   "ministries (G codes, G22 VPCP) and Tây Ninh (H53) with departments, districts "
                   "and communes")
    g.add_argument("--durable", action="store_true",
                   help="fsync every package and commit with synchronous=FULL")
    g.add_argument("--ingest-threads", type=int, default=4, metavar="N",
                   help="threads that check and store sendEdoc packages (default 4; 0 = none)")
    _add_behaviour_options(p)
    _add_fault_options(p)


def _add_behaviour_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("axis behaviour (AXIS.md §12, §14)")
    g.add_argument("--transit", choices=("rebuild", "preserve"), default="rebuild",
                   help="rebuild: re-serialise the envelope as the national axis does, append a "
                   "TraceHeader, keep attachment bytes (default); preserve: deliver the bytes sent")
    g.add_argument("--trace-organ-id", default="", metavar="ID",
                   help="OrganId written in the appended TraceHeader (default: Timestamp only)")
    g.add_argument("--sender-rule", choices=("registered", "system", "any"), default="registered",
                   help="which `from` a system may use: itself or its organs (default), only "
                   "itself (SaaS accounts), or anything")
    g.add_argument("--validation", choices=("off", "bkav", "strict"), default="off",
                   help="package checks beyond routing: off (default), bkav (Bkav hub rules), "
                   "strict (plus the organ-code regex)")
    g.add_argument("--max-skew", type=float, metavar="SECONDS",
                   help="refuse request timestamps further than this from the clock (default: "
                   "not checked, like the axis)")
    g.add_argument("--no-hash-check", action="store_true",
                   help="do not check the sendEdoc hash-file parameter")
    g.add_argument("--max-package-bytes", type=int, metavar="N",
                   help="refuse larger packages (default: no limit)")
    g.add_argument("--error-table", type=Path, metavar="FILE",
                   help="YAML overriding the error codes (see `sandbox error-codes`)")
    g.add_argument("--time-format", default="%Y/%m/%d %H:%M:%S",
                   help="strftime format of list time fields (default %%Y/%%m/%%d %%H:%%M:%%S)")
    g.add_argument("--admin-token", default=os.environ.get(ADMIN_TOKEN_ENV),
                   help=f"enable /_sandbox/ admin and ledger endpoints with this bearer token "
                   f"(default: ${ADMIN_TOKEN_ENV}; unset = disabled)")
    g.add_argument("--log-requests", action="store_true", help="log one line per request")
    g.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"),
                   help="log level (default info); logs go to stderr")


def _add_fault_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("fault injection (changeable at run time: PUT /_sandbox/faults)")
    g.add_argument("--fault", action="append", default=[], metavar="SPEC",
                   help="inject a fault, e.g. 5xx,ops=sendEdoc,rate=0.2 (repeatable; see below)")
    g.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws (default 0)")
    g.add_argument("--faults-file", type=Path, metavar="FILE",
                   help='JSON or YAML {"seed": N, "rules": [{"kind": ...}]}')


def _register_agency(sub: Any) -> None:
    agency = sub.add_parser(
        "agency", help="manage the organs of the registry in --data-dir",
        description="Add, list, lock, unlock or delete the organs (mã định danh) registered in the"
        " sandbox's registry in --data-dir; changes survive restarts and may be made while the"
        " server runs. docs/sandbox.md §4.")
    actions = agency.add_subparsers(dest="agency_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="register (or update) an organ under a system",
        description="Register an organ under a connected system, or update its name, parent,"
        " e-mail and lock; it appears in getAgenciesList and can send and receive. Exit 0.")
    add.add_argument("code", help="mã định danh, e.g. 000.22.31.H53")
    add.add_argument("--system", required=True, help="the system id it is registered under")
    add.add_argument("--name", default="", help="the organ's name")
    add.add_argument("--pcode", default="", help="parent code (default: computed from the code)")
    add.add_argument("--mail", default="", help="e-mail address")
    add.add_argument("--locked", action="store_true", help="register it locked")
    lst = actions.add_parser(
        "list", help="list the organs",
        description="List the registered organs: code, system, name, parent, locked or deleted."
        " Exit 0.")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.add_argument("--all", action="store_true", help="include deleted organs")
    for name, text in (("lock", "lock an organ (it can no longer receive)"),
                       ("unlock", "unlock an organ"), ("delete", "delete an organ (soft)")):
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:]
                                    + ". Exit 0, or 1 when the organ is not registered.")
        action.add_argument("code", help="mã định danh")
    for action in actions.choices.values():
        action.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                            help="the sandbox data directory (default ./sandbox-data)")
    agency.set_defaults(func=run_agency)


def run_server(args: argparse.Namespace) -> int:
    from agent.sandbox.launch import serve

    return serve(args)


def run_agency(args: argparse.Namespace) -> int:
    from agent.sandbox.launch import agency

    return agency(args)


def print_error_codes(args: argparse.Namespace) -> int:
    from agent.sandbox.launch import error_table

    rows = error_table(args.error_table).rows()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['code']:>4}  {row['name']:<20} {row['desc']}")
    return 0
