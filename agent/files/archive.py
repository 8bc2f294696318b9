"""Archiving processed items, error files and quarantine.

Nothing is deleted: a claim folder moves whole from the work area to ``sent/`` or ``failed/``
(one atomic rename each), a quarantined package is published with the reason beside it. Every
function here can be repeated after a crash and finds its own earlier work done.

An error file is written in two forms, next to the item it explains:

* ``error.json``: ``LienthongError.to_dict()`` (``error``, ``code``, ``message``, ``hint``) plus
  ``problems`` (every mistake found), ``item`` and ``at``;
* ``error.txt``: the same for a person, in the order what / where / how to fix it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agent.errors import ExchangeItemError, LienthongError
from agent.files.atomic import (
    disk_errors,
    json_bytes,
    link_or_copy,
    move,
    staged_directory,
    write_file_atomic,
    write_json_atomic,
)
from agent.files.inbox import PACKAGE, safe_component
from agent.files.layout import OrganFolders

ERROR_JSON = "error.json"
ERROR_TXT = "error.txt"
PREVIOUS_ERROR = "error.previous.json"


def error_report(
    error: LienthongError | Mapping[str, Any], item: str, now: dt.datetime
) -> dict[str, Any]:
    """What goes into error.json: the error's own description, the item and the time."""
    if isinstance(error, LienthongError):
        report: dict[str, Any] = dict(error.to_dict())
        if isinstance(error, ExchangeItemError) and error.problems:
            report["problems"] = list(error.problems)
    else:
        report = dict(error)
    report.update(item=item, at=now.isoformat())
    return report


def _text(report: Mapping[str, Any]) -> str:
    lines = [f"{report.get('item', '')}: {report.get('message', 'failed')}", ""]
    lines += [f"  - {p}" for p in report.get("problems", [])]
    if report.get("hint"):
        lines += ["", f"How to fix it: {report['hint']}"]
    lines += ["", f"({report.get('code', 'error')}, {report.get('at', '')})"]
    return "\n".join(lines) + "\n"


def write_error_files(
    directory: Path, error: LienthongError | Mapping[str, Any], item: str, now: dt.datetime
) -> None:
    """error.json and error.txt in ``directory`` (each written atomically)."""
    report = error_report(error, item, now)
    write_json_atomic(directory / ERROR_JSON, report)
    write_file_atomic(directory / ERROR_TXT, _text(report).encode("utf-8"))


def archive_claim(claim_dir: Path, area: Path) -> Path:
    """Move a claim folder (the item, its package, its error files) into ``sent/`` or
    ``failed/`` under the same name. Idempotent."""
    return move(claim_dir, area / claim_dir.name)


def fail_claim(
    claim_dir: Path, folders: OrganFolders, error: LienthongError | Mapping[str, Any],
    item: str, now: dt.datetime,
) -> Path:
    """Write the error files into the claim, then move it to ``failed/``. Idempotent: after a
    crash between the two, the error files are rewritten and the move is done (or found done)."""
    target = folders.failed / claim_dir.name
    if claim_dir.is_dir():
        write_error_files(claim_dir, error, item, now)
    return move(claim_dir, target)


def restore_claim(folders: OrganFolders, claim_id: str, work_dir: Path) -> Path:
    """Bring a claim back from ``failed/`` for an operator's ``retry``; the old error file is
    kept as error.previous.json. Idempotent."""
    target = move(folders.failed / claim_id, work_dir / claim_id)
    with disk_errors(f"set aside the old error of {claim_id}"):
        if (target / ERROR_JSON).exists():
            (target / ERROR_JSON).replace(target / PREVIOUS_ERROR)
            (target / ERROR_TXT).unlink(missing_ok=True)
    return target


def quarantine(
    folders: OrganFolders, key: str, package: Path | None,
    error: LienthongError | Mapping[str, Any], now: dt.datetime,
) -> Path:
    """Publish ``quarantine/<key>/`` with the package as received (if any) and the error
    files. Idempotent: an existing quarantine folder for ``key`` is returned as it is."""
    final = folders.quarantine / safe_component(key, 100)
    if final.is_dir():
        return final
    with staged_directory(final) as staging:
        if package is not None and package.exists():
            link_or_copy(package, staging / PACKAGE)
        report = error_report(error, key, now)
        (staging / ERROR_JSON).write_bytes(json_bytes(report))
        (staging / ERROR_TXT).write_text(_text(report), "utf-8")
    return final
