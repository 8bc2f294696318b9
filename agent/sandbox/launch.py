"""What ``lienthong-agent sandbox`` does with its parsed options (the parser is agent.cli.sandbox).

Kept here, next to the server, so the CLI module stays argument definitions only and everything
the command can do is also reachable from Python.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

import yaml

from agent.core.edxml.validate import ValidationLevel
from agent.errors import ConfigError, OrganCodeError
from agent.observability import configure_logging
from agent.sandbox.clock import Clock
from agent.sandbox.codes import ErrorTable, error_table_from_mapping
from agent.sandbox.config import SandboxConfig, SenderRule
from agent.sandbox.db import Database
from agent.sandbox.directory import Directory
from agent.sandbox.faults import FaultRule, parse_fault_spec, plan_from_mapping
from agent.sandbox.registry import OrganSpec, registry_from_sources
from agent.sandbox.server import SandboxServer
from agent.sandbox.transit import TransitMode

DEFAULT_DATA_DIR = Path("sandbox-data")


def _load_yaml(path: Path, what: str) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the {what} {path}: {exc}") from exc


def error_table(path: Path | None) -> ErrorTable:
    if path is None:
        return ErrorTable()
    return error_table_from_mapping(_load_yaml(path, "error table"), where=str(path))


def faults_from_args(args: argparse.Namespace) -> tuple[list[FaultRule], int]:
    rules: list[FaultRule] = []
    seed: int = args.fault_seed
    if args.faults_file is not None:
        rules, seed = plan_from_mapping(_load_yaml(args.faults_file, "faults file"))
    rules += [parse_fault_spec(spec) for spec in args.fault]
    return rules, seed


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """The :class:`SandboxConfig` the options describe (every problem raised as ConfigError)."""
    registry = registry_from_sources(
        seed=args.seed, files=args.registry, systems=args.system, organs=args.organ
    )
    rules, seed = faults_from_args(args)
    return SandboxConfig(
        data_dir=args.data_dir, host=args.host, port=args.port, prefix=args.prefix,
        registry=registry, transit=TransitMode(args.transit), trace_organ_id=args.trace_organ_id,
        sender_rule=SenderRule(args.sender_rule), validation=ValidationLevel(args.validation),
        max_skew=args.max_skew, check_hash_file=not args.no_hash_check,
        max_package_bytes=args.max_package_bytes, error_table=error_table(args.error_table),
        time_format=args.time_format, faults=tuple(rules), fault_seed=seed,
        admin_token=args.admin_token or None, durable=args.durable,
        ingest_threads=args.ingest_threads, tls_cert=args.tls_cert, tls_key=args.tls_key,
        tls_client_ca=args.tls_client_ca,
        log_requests=args.log_requests,
    )


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


def serve(args: argparse.Namespace) -> int:
    """Run until SIGTERM / SIGINT; the URL goes to stdout and the requested files."""
    configure_logging("auto", args.log_level, stream=sys.stderr)
    server = SandboxServer(config_from_args(args))
    url = server.start()
    try:
        if args.port_file is not None:
            _write_atomically(args.port_file, str(server.port))
        if args.url_file is not None:
            _write_atomically(args.url_file, url)
        print(f"lienthong-agent sandbox: listening on {url}", flush=True)
        if args.admin_token:
            print(f"lienthong-agent sandbox: admin and ledger at {server.admin_url}", flush=True)
        wait_for_signal()
    finally:
        server.stop()
    return 0


def wait_for_signal() -> None:
    """Block until SIGTERM or SIGINT."""
    stop = threading.Event()

    def handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    while not stop.wait(1.0):
        pass


def agency(args: argparse.Namespace) -> int:
    """``sandbox agency add|list|lock|unlock|delete`` on the database in ``--data-dir``."""
    data_dir: Path = getattr(args, "data_dir", DEFAULT_DATA_DIR)
    db = Database(data_dir)
    try:
        directory = Directory(db, Clock().stamp)
        return _AGENCY_ACTIONS[args.agency_command](directory, args)
    finally:
        db.close()


def _add(directory: Directory, args: argparse.Namespace) -> int:
    if not directory.is_system(args.system):
        print(f"warning: system {args.system} is not registered yet; start the sandbox with "
              f"--system {args.system}=SECRET", file=sys.stderr)
    existing = directory.organ(args.code)
    if existing and not existing.deleted and existing.system_id != args.system:
        raise OrganCodeError(f"{args.code} is registered under {existing.system_id}")
    organ = directory.put_organ(OrganSpec(
        args.code, args.system, name=args.name, pcode=args.pcode, mail=args.mail,
        locked=args.locked,
    ))
    print(f"{organ.code} registered under {organ.system_id} (level {organ.level}, id {organ.id})")
    return 0


def _list(directory: Directory, args: argparse.Namespace) -> int:
    organs = directory.organs(include_deleted=args.all)
    if args.json:
        rows = [{"code": o.code, "system": o.system_id, "name": o.name, "pcode": o.pcode,
                 "level": o.level, "locked": o.locked, "deleted": o.deleted} for o in organs]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for o in organs:
        flags = ",".join(f for f, on in (("locked", o.locked), ("deleted", o.deleted)) if on)
        print(f"{o.code:<15} {o.system_id:<14} L{o.level or '?'} {o.name} {flags}".rstrip())
    return 0


def _set_locked(directory: Directory, code: str, locked: bool) -> int:
    if not directory.set_locked(code, locked):
        raise OrganCodeError(f"no organ {code} in the registry")
    print(f"{code} {'locked' if locked else 'unlocked'}")
    return 0


def _delete(directory: Directory, args: argparse.Namespace) -> int:
    if not directory.delete(args.code):
        raise OrganCodeError(f"no organ {args.code} in the registry")
    print(f"{args.code} deleted")
    return 0


_AGENCY_ACTIONS = {
    "add": _add,
    "list": _list,
    "lock": lambda d, a: _set_locked(d, a.code, True),
    "unlock": lambda d, a: _set_locked(d, a.code, False),
    "delete": _delete,
}
