"""``keys generate`` makes a development PKI that the signing code accepts; ``keys show`` reads
PEM, DER and PKCS#12 files and says when a key does not belong to its certificate."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from agent.cli import EXIT_INVALID, EXIT_OK
from agent.signing import devpki
from agent.signing.keys import SigningIdentity
from agent.signing.trust import TrustPolicy

from .conftest import Run

ORGAN, OTHER = "000.00.13.H53", "000.00.31.H53"
PASSWORD = "mật-khẩu-thử"


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return path


def generate(cli: Run, out: Path, password_file: Path, organ: str = ORGAN, *extra: str
             ) -> int:
    result = cli("keys", "generate", "--organ", organ, "--out", str(out),
                 "--password-file", str(password_file), *extra)
    assert PASSWORD not in result.out + result.err
    return result.code


def test_generate_makes_a_usable_signing_identity(
    cli: Run, tmp_path: Path, password_file: Path
) -> None:
    """The PKCS#12 file opens with the password, holds a key matching its certificate and the
    root, and the certificate validates against the root as a trust anchor."""
    out = tmp_path / "keys"
    assert generate(cli, out, password_file) == EXIT_OK
    identity = SigningIdentity.from_pkcs12_file(out / f"{ORGAN}.p12", PASSWORD)
    root = x509.load_pem_x509_certificate((out / "dev-root-ca.pem").read_bytes())
    assert identity.chain == (root,)
    assert f"OU={ORGAN}" in identity.certificate.subject.rfc4514_string()
    policy = TrustPolicy([root])
    policy.validate_signer(identity.certificate, [], dt.datetime.now(dt.UTC))
    pem = SigningIdentity.from_pem_files(out / f"{ORGAN}.key", out / f"{ORGAN}.pem",
                                         password=PASSWORD)
    assert pem.certificate == identity.certificate


def test_generated_secrets_are_private_and_encrypted(
    cli: Run, tmp_path: Path, password_file: Path
) -> None:
    """Keys and the PKCS#12 file are 0600 and encrypted; certificates are readable."""
    out = tmp_path / "keys"
    generate(cli, out, password_file)
    for name in (f"{ORGAN}.key", f"{ORGAN}.p12", "dev-root-ca.key"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((out / f"{ORGAN}.pem").stat().st_mode) == 0o644
    with pytest.raises(TypeError):  # encrypted: no password, no key
        serialization.load_pem_private_key((out / f"{ORGAN}.key").read_bytes(), None)


def test_a_second_organ_reuses_the_root(cli: Run, tmp_path: Path, password_file: Path) -> None:
    """Two organs generated in one folder share one root CA, so each trusts the other."""
    out = tmp_path / "keys"
    generate(cli, out, password_file, ORGAN)
    root = (out / "dev-root-ca.pem").read_bytes()
    result = cli("keys", "generate", "--organ", OTHER, "--out", str(out),
                 "--password-file", str(password_file), "--json")
    assert result.code == EXIT_OK and result.json()["root_ca_created"] is False
    assert (out / "dev-root-ca.pem").read_bytes() == root
    other = SigningIdentity.from_pkcs12_file(out / f"{OTHER}.p12", PASSWORD)
    assert other.chain[0] == x509.load_pem_x509_certificate(root)


def test_generate_refuses_to_overwrite_without_force(
    cli: Run, tmp_path: Path, password_file: Path
) -> None:
    """An organ's existing key is kept unless --force is given."""
    out = tmp_path / "keys"
    generate(cli, out, password_file)
    before = (out / f"{ORGAN}.p12").read_bytes()
    assert generate(cli, out, password_file) == EXIT_INVALID
    assert (out / f"{ORGAN}.p12").read_bytes() == before
    assert generate(cli, out, password_file, ORGAN, "--force") == EXIT_OK
    assert (out / f"{ORGAN}.p12").read_bytes() != before


def test_generate_refuses_a_root_locked_with_another_password(
    cli: Run, tmp_path: Path, password_file: Path
) -> None:
    """The root key of the folder cannot be opened with a different password: exit 1."""
    out = tmp_path / "keys"
    generate(cli, out, password_file)
    other = tmp_path / "other-password"
    other.write_text("another one")
    assert generate(cli, out, other, OTHER) == EXIT_INVALID
    assert not (out / f"{OTHER}.p12").exists()


def test_generate_refuses_a_malformed_organ_code(
    cli: Run, tmp_path: Path, password_file: Path
) -> None:
    """The organ code goes into the certificate: a malformed one is refused."""
    assert generate(cli, tmp_path / "keys", password_file, "13.H53") == EXIT_INVALID
    assert not (tmp_path / "keys").exists()


def test_show_a_pkcs12_file(cli: Run, tmp_path: Path, password_file: Path) -> None:
    """show --json gives each certificate's facts and says the key matches."""
    out = tmp_path / "keys"
    generate(cli, out, password_file)
    result = cli("keys", "show", str(out / f"{ORGAN}.p12"), "--password-file", str(password_file),
                 "--json")
    assert result.code == EXIT_OK
    shown = result.json()
    cert = x509.load_pem_x509_certificate((out / f"{ORGAN}.pem").read_bytes())
    signer, root = shown["certificates"]
    assert shown["container"] == "pkcs12" and shown["development_only"] is True
    assert shown["private_key"] == {"present": True, "matches_certificate": True}
    assert signer["sha256_fingerprint"] == cert.fingerprint(hashes.SHA256()).hex(":")
    assert (signer["serial"], signer["key_type"]) == (f"{cert.serial_number:x}", "RSA-2048")
    assert signer["days_to_expiry"] in (729, 730) and (signer["is_ca"], root["is_ca"]) == (
        False, True)


def test_show_a_der_certificate_and_an_expired_one(cli: Run, tmp_path: Path) -> None:
    """A DER file is read; an expired certificate shows negative days and says EXPIRED."""
    now = dt.datetime.now(dt.UTC)
    root = devpki.make_root(now)
    old = devpki.make_signer(root, now, not_before=now - dt.timedelta(days=400),
                             not_after=now - dt.timedelta(days=10))
    path = tmp_path / "old.cer"
    path.write_bytes(old.cert.public_bytes(serialization.Encoding.DER))
    shown = cli("keys", "show", str(path), "--json").json()
    assert shown["container"] == "der"
    assert shown["certificates"][0]["days_to_expiry"] in (-10, -11)
    assert "EXPIRED 1" in cli("keys", "show", str(path)).out


def test_show_a_pem_bundle_whose_key_belongs_to_another_certificate(
    cli: Run, tmp_path: Path
) -> None:
    """A PEM file holding one key and another key's certificate is reported as such; with the
    right pair it says the key matches."""
    now = dt.datetime.now(dt.UTC)
    root = devpki.make_root(now)
    a, b = devpki.make_signer(root, now), devpki.make_signer(root, now)
    mixed, good = tmp_path / "mixed.pem", tmp_path / "good.pem"
    mixed.write_bytes(b.key_pem() + a.cert_pem())
    good.write_bytes(a.key_pem() + a.cert_pem())
    result = cli("keys", "show", str(mixed), "--json")
    assert result.json()["private_key"] == {"present": True, "matches_certificate": False}
    assert "does not belong" in cli("keys", "show", str(mixed)).out
    matching = cli("keys", "show", str(good), "--json").json()["private_key"]
    assert matching == {"present": True, "matches_certificate": True}


def test_show_a_pkcs12_with_a_wrong_password(
    cli: Run, tmp_path: Path, password_file: Path
) -> None:
    """A wrong (or missing) password: exit 1 with a message that holds no password."""
    out = tmp_path / "keys"
    generate(cli, out, password_file)
    result = cli("keys", "show", str(out / f"{ORGAN}.p12"))
    assert result.code == EXIT_INVALID and "password" in result.err
