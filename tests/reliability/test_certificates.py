"""Bad signing certificates and bad clocks on the sending daemon: each is refused with a clear
error, and nothing leaves with a bad signature (the sandbox ledger shows no package accepted
from the organ).

Agent A is given, in turn: an expired certificate, one not yet valid, one revoked on a CRL it is
configured with, a key that does not belong to its certificate; then a good certificate with its
clock three days behind (the certificate is not yet valid at that time) or two hours ahead of an
axis that checks request timestamps (``--max-skew``). The clocks are faked with ``faketime``
(libfaketime, installed by ``.ci/run``) around the daemon only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.signing import devpki
from tests.conftest import require_tool
from tests.e2e.harness import SandboxProcess, wait_for
from tests.integration.services.fixtures import DISTRICT, STTTT, Pki
from tests.support.chaos import Cluster

from .conftest import Record

NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Identity:
    key: Path
    chain: Path
    crl: Path | None = None


def _write(directory: Path, name: str, issued: devpki.Issued,
           crl: bytes | None = None) -> Identity:
    directory.mkdir(parents=True, exist_ok=True)
    key, chain = directory / f"{name}-key.pem", directory / f"{name}-chain.pem"
    key.write_bytes(issued.key_pem())
    chain.write_bytes(issued.cert_pem() + issued.chain_pem())
    crl_path = None
    if crl is not None:
        crl_path = directory / f"{name}.crl"
        crl_path.write_bytes(crl)
    return Identity(key, chain, crl_path)


def _identity(pki_dir: Path, root: Path, case: str) -> Identity:
    """A signing identity for ``case`` under a fresh CA whose root is written to ``root``."""
    ca = devpki.make_root(NOW - dt.timedelta(days=800))
    issuing = devpki.make_intermediate(ca, NOW - dt.timedelta(days=800))
    root.write_bytes(ca.cert_pem())
    if case == "expired":
        issued = devpki.make_signer(issuing, NOW, not_before=NOW - dt.timedelta(days=400),
                                    not_after=NOW - dt.timedelta(days=1))
    elif case == "not-yet-valid":
        issued = devpki.make_signer(issuing, NOW, not_before=NOW + dt.timedelta(days=10),
                                    not_after=NOW + dt.timedelta(days=400))
    else:
        issued = devpki.make_signer(issuing, NOW)
    crl = devpki.crl_pem(devpki.make_crl(issuing, NOW, [issued.cert])) \
        if case == "revoked" else None
    if case == "key-mismatch":
        stranger = devpki.make_signer(issuing, NOW)
        return _write(pki_dir, case, devpki.Issued(stranger.key, issued.cert, issued.chain))
    return _write(pki_dir, case, issued, crl)


def _settings(identity: Identity, root: Path) -> str:
    crls = f", crl_files: ['{identity.crl}']" if identity.crl else ""
    return (f"signing: {{key_file: '{identity.key}', certificate_file: '{identity.chain}'}}\n"
            f"verification: {{trust_anchors: ['{root}']{crls}}}\n"
            "retry: {max_attempts: 3}\n")


def _accepted_from_a(sandbox: SandboxProcess) -> list[dict[str, object]]:
    return [e for e in sandbox.ledger("accepted") if e["sender"] == STTTT]


def _short(reason: str) -> str:
    """The reason without the certificate's subject or repeated hints, for the figures line."""
    skew = re.search(r"ErrorCode 15.*?\(allowed: \d+ s\)", reason)
    if skew:
        return skew.group(0)
    return re.sub(r"^the signing certificate .*? \(serial 0x[0-9a-f]+\) ", "certificate ", reason)


def _failed_reason(cluster: Cluster) -> str:
    failed = cluster.a.entries(STTTT, "failed")
    if not failed:
        return ""
    data = json.loads((failed[0] / "error.json").read_text("utf-8"))
    return f"{data.get('message', '')} | {data.get('hint', '')}"


def _logged(cluster: Cluster, pattern: str) -> list[str]:
    found = re.compile(pattern, re.IGNORECASE)
    return [json.dumps(line, ensure_ascii=False) for line in cluster.a.log_lines()
            if line.get("level") in ("warning", "error", "critical")
            and found.search(json.dumps(line, ensure_ascii=False))]


CASES = {  # case -> what the error must say
    "expired": r"not valid at",
    "not-yet-valid": r"not valid at",
    "revoked": r"revoked",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_certificate_that_cannot_sign_sends_nothing(
    tmp_path: Path, sandbox: SandboxProcess, pki: Pki, figures: Record, case: str,
) -> None:
    """A's signing certificate is ``case``: the daemon says so at start (an error line), the
    dropped document goes to failed/ with an error saying what is wrong with the certificate,
    and the axis never accepts a package from A's organ."""
    root = tmp_path / "ca-root.pem"
    identity = _identity(tmp_path / "pki", root, case)
    cluster = Cluster(tmp_path, sandbox, pki, extra={"a": _settings(identity, root)})
    try:
        cluster.start(cluster.a)
        cluster.drop(cluster.a, STTTT, (DISTRICT,))
        wait_for(lambda: cluster.a.entries(STTTT, "failed"), 60, "the document in failed/")
    finally:
        cluster.stop()
    reason = _failed_reason(cluster)
    at_start = _logged(cluster, r"certificate")
    figures(f"certificate {case}", f"certificate {case}: failed/ says {_short(reason)[:200]!r}; "
            f"{len(at_start)} warning/error lines about the certificate; accepted by the axis "
            f"{len(_accepted_from_a(sandbox))}",
            {"case": case, "reason": reason, "log_lines": at_start[:3],
             "accepted": len(_accepted_from_a(sandbox))})
    assert _accepted_from_a(sandbox) == []
    assert re.search(CASES[case], reason, re.IGNORECASE), reason
    assert at_start, "no warning or error about the certificate in the log"


def test_a_key_that_does_not_match_its_certificate_stops_the_daemon(
    tmp_path: Path, sandbox: SandboxProcess, pki: Pki, figures: Record,
) -> None:
    """A's private key belongs to another certificate: the daemon refuses to start (exit 3, the
    configuration error code, which systemd does not restart) and says which certificate the
    key does not belong to; nothing is sent."""
    root = tmp_path / "ca-root.pem"
    identity = _identity(tmp_path / "pki", root, "key-mismatch")
    cluster = Cluster(tmp_path, sandbox, pki, extra={"a": _settings(identity, root)})
    cluster.a.start(wait_ready=False)
    code = cluster.a.wait_exit(30)
    output = cluster.a.log.read_text(errors="replace")
    cluster.stop()
    figures("key mismatch", f"key not matching its certificate: exit {code}; "
            f"{'explained' if 'does not belong' in output else 'NOT explained'}",
            {"exit_code": code, "output_tail": output[-600:]})
    assert code == 3
    assert "does not belong to certificate" in output
    assert _accepted_from_a(sandbox) == []


# libfaketime fakes CLOCK_REALTIME (what the agent signs and stamps requests with); faking
# CLOCK_MONOTONIC as well would turn every timed lock wait into one of hours. With monotonic time
# real, libfaketime breaks time.sleep() (EINVAL): watchdog's inotify thread dies and the agent
# picks documents up by its rescans (every second in these tests).
FAKE_REALTIME_ONLY = {"FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def _faketime() -> list[str]:
    return [require_tool("faketime"), "-f"]


@pytest.mark.parametrize("offset,skew,expected", [
    ("-3d", None, r"not valid at .*check the system clock"),
    ("+2h", 300, r"ErrorCode 15.*away from the server clock.*check the system clock"),
], ids=["clock-3-days-behind", "clock-2-hours-ahead-of-a-strict-axis"])
def test_a_wrong_clock_sends_nothing_and_says_why(
    tmp_path: Path, pki: Pki, figures: Record, offset: str, skew: int | None, expected: str,
) -> None:
    """A first runs with the right clock (its directory of organs gets synchronised), then
    again under faketime ``offset``. Three days behind, its certificate is not yet valid at the
    time it believes: the document goes to failed/ with an error that points at the clock. Two
    hours ahead of an axis with ``--max-skew 300``, every request is refused as
    unauthenticated, each refusal saying how far the timestamp is from the axis's clock: the
    document goes to failed/ after the allowed authentication failures. Either way the axis
    accepts nothing from A."""
    wrapper = [*_faketime(), offset]
    extra_args = ["--max-skew", str(skew)] if skew else []
    sandbox = SandboxProcess(tmp_path / "axis", extra_args=extra_args)
    cluster = Cluster(tmp_path, sandbox, pki, extra={"a": "retry: {max_attempts: 3}\n"})
    try:
        cluster.start(cluster.a)
        wait_for(lambda: _directory_synced(cluster), 30, "the directory synchronised")
        cluster.a.stop()
        cluster.a.start(wait_ready=False, prefix=wrapper, env=FAKE_REALTIME_ONLY)
        assert cluster.a.notify is not None
        notify = cluster.a.notify
        wait_for(lambda: notify.seen("READY=1"), 60, "A READY=1 under faketime")
        cluster.drop(cluster.a, STTTT, (DISTRICT,))
        wait_for(lambda: cluster.a.entries(STTTT, "failed"), 90, "the document in failed/")
        accepted = _accepted_from_a(sandbox)
    finally:
        cluster.stop()
        sandbox.stop()
    assert _running(cluster.a.config) == [], "the daemon under faketime outlived its stop"
    reason = _failed_reason(cluster)
    warnings = _logged(cluster, r"skew|not valid at")
    figures(f"clock {offset}", f"clock {offset}{f' (axis --max-skew {skew})' if skew else ''}: "
            f"failed/ says {_short(reason)[:200]!r}; {len(warnings)} warning/error lines; "
            f"accepted by the axis {len(accepted)}",
            {"offset": offset, "max_skew": skew, "reason": reason, "accepted": len(accepted),
             "log_lines": warnings[:3]})
    assert accepted == []
    assert re.search(expected, reason, re.IGNORECASE | re.DOTALL), reason
    assert warnings, "no warning or error line about the clock"


def _running(config: Path) -> list[int]:
    """Live processes whose command line names ``config``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = next((line for line in (entry / "status").read_text().splitlines()
                          if line.startswith("State:")), "")
        except OSError:
            continue
        if os.fsencode(str(config)) in cmdline.split(b"\0") and "zombie" not in state:
            found.append(int(entry.name))
    return found


def _directory_synced(cluster: Cluster) -> bool:
    with cluster.a.journal() as journal:
        return journal.directory_synced_at() is not None
