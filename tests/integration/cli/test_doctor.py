"""``doctor`` against the real sandbox on 127.0.0.1: a healthy installation passes, and each
broken piece is reported with its own check, status and fix: a key that does not match its
certificate, clock skew (injected clock, and a server sending a skewed Date header), refused
credentials, an unreachable axis, certificates near or past expiry, bad trust anchors, stale
CRLs, missing folders and a damaged journal."""

from __future__ import annotations

import datetime as dt
import email.utils
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli import EXIT_CONFIG, EXIT_INVALID, EXIT_OK
from agent.doctor import DoctorReport, Status, run_doctor
from agent.journal import SqliteJournal
from agent.sandbox import OrganSpec, Registry, SandboxConfig, SandboxServer, SystemSpec
from agent.signing import devpki
from agent.signing.devpki import Issued

from .conftest import Run

SYSTEM, SECRET, ORGAN = "00.53.W00", "sandbox-secret-00.53.W00", "000.00.13.H53"
PASSWORD = "key-pass-w0rd"
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    registry = Registry(systems=(SystemSpec(SYSTEM, SECRET, SYSTEM),),
                        organs=(OrganSpec(ORGAN, SYSTEM, name="Sở TT&TT"),))
    server = SandboxServer(SandboxConfig(data_dir=tmp_path_factory.mktemp("axis"),
                                         registry=registry))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def pki() -> tuple[Issued, Issued, Issued]:
    """A root, and two signers under it."""
    root = devpki.make_root(NOW)
    return root, devpki.make_signer(root, NOW), devpki.make_signer(root, NOW)


class Install:
    """An installation in a temporary folder: configuration, secret, keys, folders, journal."""

    def __init__(self, base: Path, url: str, root: Issued, signer: Issued) -> None:
        self.base, self.url = base, url
        (base / "axis-secret").write_text(SECRET + "\n")
        (base / "key-password").write_text(PASSWORD + "\n")
        (base / "root.pem").write_bytes(root.cert_pem())
        self.use_key(signer.key_pem(PASSWORD.encode()), signer.cert_pem())
        (base / "exchange").mkdir()
        journal = SqliteJournal.open(base / "state" / "journal.sqlite3")
        journal.close()
        self.extra = ""
        self.verification = "  trust_anchors: [root.pem]\n"

    def use_key(self, key_pem: bytes, cert_pem: bytes) -> None:
        (self.base / "org.key").write_bytes(key_pem)
        (self.base / "org.pem").write_bytes(cert_pem)

    def write(self) -> Path:
        config = self.base / "agent.yaml"
        config.write_text(f"""\
axis:
  base_url: {self.url}
  system_id: {SYSTEM}
  secret_file: axis-secret
organs:
  - code: {ORGAN}
    name: Sở Thông tin và Truyền thông
exchange:
  root: exchange
signing:
  key_format: pem
  key_file: org.key
  certificate_file: org.pem
  key_password_file: key-password
verification:
{self.verification}journal:
  path: state/journal.sqlite3
{self.extra}""", encoding="utf-8")
        return config

    def doctor(self, **kw: object) -> DoctorReport:
        return run_doctor(self.write(), environ={}, **kw)  # type: ignore[arg-type]


@pytest.fixture
def install(tmp_path: Path, sandbox: str, pki: tuple[Issued, Issued, Issued]) -> Install:
    return Install(tmp_path, sandbox, pki[0], pki[1])


def statuses(report: DoctorReport) -> dict[str, str]:
    return {c.name: c.status.value for c in report.checks}


def test_a_healthy_installation_passes(cli: Run, install: Install) -> None:
    """Every check is ok (CRLs are not configured: skipped) and the exit code is 0."""
    result = cli("doctor", "--config", str(install.write()), "--json")
    assert result.code == EXIT_OK
    found = {c["name"]: c for c in result.json()["checks"]}
    assert {n: c["status"] for n, c in found.items()} == {
        "config": "ok", "axis": "ok", "clock": "ok", "signing-key": "ok", "certificate": "ok",
        "trust-anchors": "ok", "crls": "skipped", "exchange-folders": "ok", "journal": "ok"}
    assert abs(found["clock"]["details"]["skew_seconds"]) < 5
    assert found["axis"]["details"]["documents_waiting"] == 0


def test_a_key_that_does_not_match_its_certificate(
    cli: Run, install: Install, pki: tuple[Issued, Issued, Issued]
) -> None:
    """Signer B's key with signer A's certificate: signing-key is an error saying so, with a
    fix; the certificate check is skipped; doctor exits 1."""
    _, a, b = pki
    install.use_key(b.key_pem(PASSWORD.encode()), a.cert_pem())
    result = cli("doctor", "--config", str(install.write()))
    assert result.code == EXIT_INVALID
    line = next(x for x in result.out.splitlines() if "signing-key" in x)
    assert line.split()[0] == "ERROR" and "does not match its certificate" in line
    report = install.doctor()
    assert report.check("signing-key").fix is not None
    assert report.check("certificate").status is Status.SKIPPED


@pytest.mark.parametrize(("offset", "expected"), [
    (dt.timedelta(hours=1), Status.ERROR),
    (dt.timedelta(seconds=-45), Status.WARNING),
    (dt.timedelta(seconds=3), Status.OK),
])
def test_clock_skew_against_the_sandbox(
    install: Install, offset: dt.timedelta, expected: Status
) -> None:
    """With this machine's clock shifted (injected), the skew against the sandbox's Date header
    is measured and judged: 1 h ahead is an error, 45 s behind a warning, 3 s fine."""
    report = install.doctor(clock=lambda: dt.datetime.now(dt.UTC) + offset)
    clock = report.check("clock")
    assert clock.status is expected
    assert abs(clock.details["skew_seconds"] - offset.total_seconds()) < 3
    if expected is Status.ERROR:
        assert "1 h 0 min ahead of the axis" in clock.message and clock.fix
        assert not report.healthy


class SkewedAxis(http.server.BaseHTTPRequestHandler):
    """Answers every call like the axis (status OK, count 0) with a Date 2 hours in the past."""

    skew = dt.timedelta(hours=-2)

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"status": "OK", "ErrorCode": "0", "count": 0}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def date_time_string(self, timestamp: float | None = None) -> str:
        return email.utils.format_datetime(dt.datetime.now(dt.UTC) + self.skew, usegmt=True)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_clock_skew_against_a_server_sending_a_skewed_date(install: Install) -> None:
    """A server on 127.0.0.1 whose Date header is 2 hours behind: the real clock is reported
    2 hours ahead, as an error."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SkewedAxis)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        install.url = f"http://127.0.0.1:{server.server_address[1]}"
        report = install.doctor()
    finally:
        server.shutdown()
        server.server_close()
    assert report.check("axis").status is Status.OK
    clock = report.check("clock")
    assert clock.status is Status.ERROR and "2 h 0 min ahead" in clock.message
    assert abs(clock.details["skew_seconds"] - 7200) < 3


def test_refused_credentials_are_told_from_an_unreachable_axis(install: Install) -> None:
    """A wrong secret: reachable but refused (and the clock still compared). A closed port:
    unreachable (and the clock skipped). Neither message shows the secret."""
    (install.base / "axis-secret").write_text("not-the-secret")
    refused = install.doctor()
    axis = refused.check("axis")
    assert axis.status is Status.ERROR and "refused the credentials" in axis.message
    assert axis.details["reachable"] is True and "not-the-secret" not in axis.message
    assert refused.check("clock").status is Status.OK
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    install.url = f"http://127.0.0.1:{port}"
    gone = install.doctor(timeout=2.0)
    assert gone.check("axis").details["reachable"] is False
    assert "cannot reach the axis" in gone.check("axis").message
    assert gone.check("clock").status is Status.SKIPPED


@pytest.mark.parametrize(("days", "expected", "words"), [
    (10, Status.WARNING, "expires in"), (-3, Status.ERROR, "expired on"),
])
def test_certificate_expiry(
    install: Install, pki: tuple[Issued, Issued, Issued], days: int, expected: Status, words: str
) -> None:
    """Under 30 days to expiry is a warning; an expired certificate is an error."""
    signer = devpki.make_signer(pki[0], NOW, not_before=NOW - dt.timedelta(days=400),
                                not_after=NOW + dt.timedelta(days=days, hours=1))
    install.use_key(signer.key_pem(PASSWORD.encode()), signer.cert_pem())
    check = install.doctor(network=False).check("certificate")
    assert check.status is expected and words in check.message and check.fix


def test_trust_anchors_must_be_ca_certificates(
    install: Install, pki: tuple[Issued, Issued, Issued]
) -> None:
    """A signer's certificate given as a trust anchor is an error naming it."""
    (install.base / "root.pem").write_bytes(pki[1].cert_pem())
    check = install.doctor(network=False).check("trust-anchors")
    assert check.status is Status.ERROR and "is not a CA certificate" in check.message


@pytest.mark.parametrize(("required", "expected"), [(False, Status.WARNING), (True, Status.ERROR)])
def test_a_stale_crl(
    install: Install, pki: tuple[Issued, Issued, Issued], required: bool, expected: Status
) -> None:
    """A CRL past its nextUpdate is a warning, an error when revocation info is required."""
    stale = devpki.make_crl(pki[0], NOW - dt.timedelta(days=30), next_update_days=7)
    (install.base / "root.crl").write_bytes(devpki.crl_pem(stale))
    install.verification += ("  crl_files: [root.crl]\n"
                             f"  require_revocation_info: {str(required).lower()}\n")
    check = install.doctor(network=False).check("crls")
    assert check.status is expected and "expired on" in check.message


def test_a_current_crl_is_ok(install: Install, pki: tuple[Issued, Issued, Issued]) -> None:
    """A CRL within its validity loads and passes."""
    (install.base / "root.crl").write_bytes(devpki.crl_pem(devpki.make_crl(pki[0], NOW)))
    install.verification += "  crl_files: [root.crl]\n"
    assert install.doctor(network=False).check("crls").status is Status.OK


def test_a_missing_exchange_root_and_a_damaged_journal(install: Install) -> None:
    """No exchange root: an error with the folder; a journal that is not SQLite: an error."""
    (install.base / "exchange").rmdir()
    (install.base / "state" / "journal.sqlite3").write_bytes(b"not a database" * 100)
    report = install.doctor(network=False)
    folders, journal = report.check("exchange-folders"), report.check("journal")
    assert folders.status is Status.ERROR and "does not exist" in folders.message
    assert "install -d" in (folders.fix or "")
    assert journal.status is Status.ERROR and "journal.sqlite3" in journal.message


def test_an_invalid_configuration_skips_the_rest(cli: Run, install: Install) -> None:
    """A configuration with an unknown key: exit 3, the problem with its path, others skipped."""
    install.extra = "retry:\n  max_attemps: 3\n"
    result = cli("doctor", "--config", str(install.write()), "--json")
    assert result.code == EXIT_CONFIG
    checks = result.json()["checks"]
    assert checks[0]["status"] == "error" and "retry.max_attemps" in checks[0]["message"]
    assert {c["status"] for c in checks[1:]} == {"skipped"}


def test_no_secret_is_ever_printed(cli: Run, install: Install) -> None:
    """Neither the axis secret nor the key password appears in any output, text or JSON, even
    when the checks fail."""
    (install.base / "key-password").write_text("wrong-" + PASSWORD)
    outputs = [cli("doctor", "--config", str(install.write()), *flag) for flag in ((), ("--json",))]
    for result in outputs:
        assert result.code == EXIT_INVALID
        text = result.out + result.err
        assert SECRET not in text and PASSWORD not in text
