"""``lienthong-agent doctor``: is this installation able to work? Each check says ok, warning or
error, and how to fix what it found.

Checks, in order (their names are stable; docs/cli.md describes each):

=================  ==============================================================================
config             the YAML loads and validates; the files it names exist and are readable
axis               countReceiveEdoc answers: reachable, and the system id and secret accepted
clock              this machine's clock against the axis's HTTP ``Date`` header
signing-key        the signing key opens and belongs to its certificate
certificate        days to expiry (warning under 30 days, error once expired)
trust-anchors      the anchors load, are CA certificates and valid now
crls               the CRLs load and are current
exchange-folders   the exchange root exists; every contract folder is writable, one file system
journal            the journal opens beside a running daemon and passes the integrity check
=================  ==============================================================================

The clock is injected (``clock=``) so tests can run the clock check with a skewed clock.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from agent.doctor.context import Clock, Context
from agent.doctor.local import check_config, check_folders, check_journal
from agent.doctor.model import Check, DoctorReport, Status, skipped
from agent.doctor.pki import (
    check_certificate,
    check_crls,
    check_signing_key,
    check_trust_anchors,
)
from agent.doctor.remote import check_axis, check_clock

CHECKS: tuple[tuple[str, Callable[[Context], Check]], ...] = (
    ("axis", check_axis),
    ("clock", check_clock),
    ("signing-key", check_signing_key),
    ("certificate", check_certificate),
    ("trust-anchors", check_trust_anchors),
    ("crls", check_crls),
    ("exchange-folders", check_folders),
    ("journal", check_journal),
)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run_doctor(
    config_path: Path | str, *, environ: Mapping[str, str] | None = None,
    clock: Clock = _utc_now, network: bool = True, timeout: float = 10.0,
) -> DoctorReport:
    """Run every check; with an invalid configuration the others are skipped."""
    ctx = Context(Path(config_path), dict(os.environ) if environ is None else environ, clock,
                  network, timeout)
    found = [check_config(ctx)]
    for name, check in CHECKS:
        found.append(check(ctx) if ctx.config is not None
                     else skipped(name, "the configuration could not be loaded"))
    return DoctorReport(tuple(found))


__all__ = ["CHECKS", "Check", "DoctorReport", "Status", "run_doctor"]
