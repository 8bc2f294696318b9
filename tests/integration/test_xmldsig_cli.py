"""``edxml sign`` and ``edxml verify`` end to end, through ``agent.cli.main`` on real files.

The CLI reads the wall clock, so this module makes a dev PKI valid now and a package whose sender
TraceHeader carries the current Vietnam time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.cli import main
from agent.signing import devpki
from tests.support.xmldsig_fixtures import axis_transit, unsigned

PASSWORD = "mật-khẩu-thử 123"
VIETNAM = dt.timezone(dt.timedelta(hours=7))


@dataclass(frozen=True)
class Files:
    package: Path
    key: Path
    cert: Path
    chain: Path
    p12: Path
    password: Path
    root: Path
    crl: Path
    signer: devpki.Issued


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    base = tmp_path_factory.mktemp("xmldsig-cli")
    now = dt.datetime.now(dt.UTC)
    root = devpki.make_root(now)
    issuing = devpki.make_intermediate(root, now)
    signer = devpki.make_signer(issuing, now, kind="ec")
    stamp = (now - dt.timedelta(minutes=5)).astimezone(VIETNAM).strftime("%Y/%m/%d %H:%M:%S")
    out = Files(
        base / "in.edxml", base / "key.pem", base / "cert.pem", base / "chain.pem",
        base / "signer.p12", base / "password", base / "root.pem", base / "revoked.crl", signer,
    )
    out.package.write_bytes(unsigned().replace(b"2024/11/05 08:30:00", stamp.encode()))
    out.key.write_bytes(signer.key_pem(PASSWORD.encode()))
    out.cert.write_bytes(signer.cert_pem())
    out.chain.write_bytes(signer.chain_pem())
    out.p12.write_bytes(signer.pkcs12(PASSWORD.encode()))
    out.password.write_text(PASSWORD + "\n", encoding="utf-8")
    out.root.write_bytes(root.cert_pem())
    out.crl.write_bytes(devpki.crl_pem(devpki.make_crl(issuing, now, [signer.cert])))
    return out


def _sign_pem(files: Files, output: Path) -> int:
    return main([
        "edxml", "sign", str(files.package), "--key", str(files.key), "--cert", str(files.cert),
        "--chain", str(files.chain), "--password-file", str(files.password), "-o", str(output),
    ])


def _verify(files: Files, package: Path, *extra: str) -> int:
    return main(["edxml", "verify", str(package), "--trust", str(files.root), *extra])


def test_sign_with_pem_key_then_verify(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PEM key with a password file signs; verify then says valid and exits 0; the password
    appears nowhere in the output."""
    signed = tmp_path / "signed.edxml"
    assert _sign_pem(files, signed) == 0
    assert _verify(files, signed) == 0
    out = capsys.readouterr()
    assert ": valid" in out.out and files.signer.cert.subject.rfc4514_string() in out.out
    assert PASSWORD not in out.out + out.err


def test_sign_with_pkcs12_and_password_variable(
    files: Files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--pkcs12 with --password-env NAME reads the password from that variable; --json output."""
    monkeypatch.setenv("LIENTHONG_TEST_KEY_PASSWORD", PASSWORD)
    signed = tmp_path / "signed.edxml"
    code = main([
        "edxml", "sign", str(files.package), "--pkcs12", str(files.p12),
        "--password-env", "LIENTHONG_TEST_KEY_PASSWORD", "-o", str(signed), "--json",
    ])
    assert code == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["signature_method"].endswith("ecdsa-sha256")
    assert _verify(files, signed, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    xml = [s for s in report["signatures"] if s["kind"] == "xml"]
    assert report["valid"] is True and [s["status"] for s in xml] == ["valid"]


def test_wrong_password_fails_without_echoing_it(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong password is a key error (exit 1); neither password is printed."""
    wrong = tmp_path / "wrong"
    wrong.write_text("sai-mat-khau", encoding="utf-8")
    code = main([
        "edxml", "sign", str(files.package), "--pkcs12", str(files.p12),
        "--password-file", str(wrong), "-o", str(tmp_path / "out.edxml"),
    ])
    out = capsys.readouterr()
    assert code == 1
    assert "sai-mat-khau" not in out.out + out.err and PASSWORD not in out.out + out.err
    assert not (tmp_path / "out.edxml").exists()


def test_signing_a_signed_package_is_refused(files: Files, tmp_path: Path) -> None:
    """edxml sign on a signed package exits 1 and writes nothing."""
    signed = tmp_path / "signed.edxml"
    assert _sign_pem(files, signed) == 0
    again = main([
        "edxml", "sign", str(signed), "--pkcs12", str(files.p12),
        "--password-file", str(files.password), "-o", str(tmp_path / "twice.edxml"),
    ])
    assert again == 1 and not (tmp_path / "twice.edxml").exists()


def test_key_without_certificate_is_a_usage_error(files: Files, tmp_path: Path) -> None:
    """--key needs --cert: exit 2."""
    code = main(["edxml", "sign", str(files.package), "--key", str(files.key),
                 "-o", str(tmp_path / "x.edxml")])
    assert code == 2


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (lambda data: data.replace("Tây Ninh".encode(), "Tây  Ninh".encode(), 1), "invalid"),
        (axis_transit, "altered-in-transit"),
    ],
    ids=["tampered", "after-axis"],
)
def test_verify_exits_1_unless_valid(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: object,
    status: str,
) -> None:
    """Tampering reads 'invalid', the axis's rewrite 'altered-in-transit' (pointing at the
    PDF); both exit 1."""
    signed = tmp_path / "signed.edxml"
    assert _sign_pem(files, signed) == 0
    signed.write_bytes(change(signed.read_bytes()))  # type: ignore[operator]
    capsys.readouterr()
    assert _verify(files, signed) == 1
    out = capsys.readouterr().out
    assert f": {status}" in out
    if status == "altered-in-transit":
        assert "PDF" in out


def test_verify_unsigned_and_revoked(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unsigned package and a signer on the CRL both exit 1 with their verdict."""
    assert _verify(files, files.package) == 1
    assert ": unsigned" in capsys.readouterr().out
    signed = tmp_path / "signed.edxml"
    assert _sign_pem(files, signed) == 0
    assert _verify(files, signed, "--crl", str(files.crl)) == 1
    assert ": revoked" in capsys.readouterr().out


def test_unreadable_trust_file_is_a_configuration_error(files: Files, tmp_path: Path) -> None:
    """A missing --trust file is a configuration problem: exit 3."""
    code = main(["edxml", "verify", str(files.package), "--trust", str(tmp_path / "none.pem")])
    assert code == 3


def test_inspect_shows_the_xml_signature_report(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """edxml inspect (no trust anchors) lists the XML signature, intact hence 'untrusted', and
    the example's PDF attachment, which carries no signature."""
    signed = tmp_path / "signed.edxml"
    assert _sign_pem(files, signed) == 0
    capsys.readouterr()
    main(["edxml", "inspect", str(signed), "--json"])
    report = json.loads(capsys.readouterr().out)
    verdicts = [(s["kind"], s["status"]) for s in report["signatures"]]
    assert verdicts == [("xml", "untrusted"), ("pdf", "unsigned")]
