"""Loading the signing identity from PKCS#12 and PEM bytes, and summarising certificates.

Pure: every input is bytes built in memory with devpki (no files).
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from agent.errors import KeyMaterialError
from agent.signing import devpki
from agent.signing.keys import SigningIdentity, certificate_summary, order_chain

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = b"Mat-khau-rat-bi-mat-2026"


@pytest.fixture(scope="module")
def root() -> devpki.Issued:
    return devpki.make_root(NOW - dt.timedelta(days=30))


@pytest.fixture(scope="module")
def inter(root: devpki.Issued) -> devpki.Issued:
    return devpki.make_intermediate(root, NOW - dt.timedelta(days=30))


@pytest.fixture(scope="module", params=["rsa", "ec"])
def signer(request: pytest.FixtureRequest, inter: devpki.Issued) -> devpki.Issued:
    return devpki.make_signer(inter, NOW, kind=request.param)


def test_pkcs12_round_trip(
    signer: devpki.Issued, inter: devpki.Issued, root: devpki.Issued
) -> None:
    """A password-protected PKCS#12 yields the key, the certificate and the chain issuer-first."""
    identity = SigningIdentity.from_pkcs12(signer.pkcs12(PASSWORD), PASSWORD)
    assert identity.certificate == signer.cert
    assert identity.chain == (inter.cert, root.cert)
    assert identity.key.private_numbers() == signer.key.private_numbers()


def test_pkcs12_password_as_text(signer: devpki.Issued) -> None:
    """A str password (as read from a credential file) works like bytes."""
    identity = SigningIdentity.from_pkcs12(signer.pkcs12(PASSWORD), PASSWORD.decode())
    assert identity.certificate == signer.cert


def test_pkcs12_wrong_password_is_not_echoed(signer: devpki.Issued) -> None:
    """A wrong password is KeyMaterialError whose text never contains the password tried."""
    wrong = "sai-mat-khau-XYZ"
    with pytest.raises(KeyMaterialError) as info:
        SigningIdentity.from_pkcs12(signer.pkcs12(PASSWORD), wrong)
    assert "password" in info.value.message
    assert wrong not in str(info.value)
    assert PASSWORD.decode() not in str(info.value)
    assert wrong not in repr(info.value.to_dict())


def test_pkcs12_garbage(signer: devpki.Issued) -> None:
    """Bytes that are not PKCS#12 are KeyMaterialError, not a cryptography ValueError."""
    with pytest.raises(KeyMaterialError, match="PKCS#12"):
        SigningIdentity.from_pkcs12(b"\x30\x03\x02\x01\x00 not pkcs12", PASSWORD)


def test_pem_with_encrypted_key_and_chain(
    signer: devpki.Issued, inter: devpki.Issued, root: devpki.Issued
) -> None:
    """An encrypted PEM key + PEM certificate + chain PEM (root first) loads issuer-first."""
    chain_pem = root.cert_pem() + inter.cert_pem()  # deliberately in the wrong order
    identity = SigningIdentity.from_pem(
        signer.key_pem(PASSWORD), signer.cert_pem(), chain_pem, password=PASSWORD
    )
    assert identity.certificate == signer.cert
    assert identity.chain == (inter.cert, root.cert)


def test_pem_fullchain_in_certificate_file(signer: devpki.Issued, inter: devpki.Issued) -> None:
    """A certificate PEM that already carries the chain (fullchain.pem) is split correctly."""
    identity = SigningIdentity.from_pem(signer.key_pem(), signer.cert_pem() + inter.cert_pem())
    assert identity.certificate == signer.cert
    assert identity.chain == (inter.cert,)


def test_pem_encrypted_key_without_password(signer: devpki.Issued) -> None:
    """An encrypted key without a password says that a password is needed."""
    with pytest.raises(KeyMaterialError, match="encrypted"):
        SigningIdentity.from_pem(signer.key_pem(PASSWORD), signer.cert_pem())


def test_pem_wrong_password_is_not_echoed(signer: devpki.Issued) -> None:
    """A wrong PEM password is KeyMaterialError without the password in its text."""
    with pytest.raises(KeyMaterialError) as info:
        SigningIdentity.from_pem(signer.key_pem(PASSWORD), signer.cert_pem(), password="nhầm")
    assert "password" in info.value.message
    assert "nhầm" not in str(info.value)


def test_pem_password_for_unencrypted_key_is_tolerated(signer: devpki.Issued) -> None:
    """A password given for an unencrypted key is ignored rather than failing the agent."""
    identity = SigningIdentity.from_pem(signer.key_pem(), signer.cert_pem(), password=PASSWORD)
    assert identity.certificate == signer.cert


def test_pem_garbage(signer: devpki.Issued) -> None:
    """Non-PEM key or certificate input is KeyMaterialError."""
    with pytest.raises(KeyMaterialError, match="not PEM"):
        SigningIdentity.from_pem(b"binary junk", signer.cert_pem())
    with pytest.raises(KeyMaterialError, match="certificate"):
        SigningIdentity.from_pem(signer.key_pem(), b"-----BEGIN CERTIFICATE-----\nxx\n")


def test_key_certificate_mismatch_names_the_certificate(
    signer: devpki.Issued, inter: devpki.Issued
) -> None:
    """A key that does not belong to the certificate is refused; the message names the cert."""
    stranger = devpki.make_signer(inter, NOW)
    with pytest.raises(KeyMaterialError) as info:
        SigningIdentity.from_pem(stranger.key_pem(), signer.cert_pem())
    message = info.value.message
    assert "does not belong to certificate" in message
    assert "Sở Thông tin và Truyền thông" in message
    assert f"0x{signer.cert.serial_number:x}" in message


def test_direct_construction_checks_the_pair(signer: devpki.Issued, inter: devpki.Issued) -> None:
    """Building a SigningIdentity by hand enforces the same key/certificate invariant."""
    with pytest.raises(KeyMaterialError):
        SigningIdentity(key=devpki.new_key(), certificate=signer.cert)


def test_unsupported_key_type_is_refused(signer: devpki.Issued) -> None:
    """Only RSA and EC keys sign here; an Ed25519 key is a clear KeyMaterialError."""
    with pytest.raises(KeyMaterialError, match="unsupported"):
        SigningIdentity(key=ed25519.Ed25519PrivateKey.generate(), certificate=signer.cert)  # type: ignore[arg-type]


def test_identity_repr_hides_the_key(signer: devpki.Issued) -> None:
    """repr() (what lands in logs and tracebacks) does not show the private key."""
    identity = SigningIdentity.from_pem(signer.key_pem(), signer.cert_pem())
    assert "key=" not in repr(identity)


def test_order_chain_drops_leaf_and_keeps_extras(
    signer: devpki.Issued, inter: devpki.Issued, root: devpki.Issued
) -> None:
    """Chains come out issuer-first; the leaf is dropped and unrelated certificates go last."""
    extra = devpki.make_root(NOW, "Unrelated Root").cert
    ordered = order_chain(signer.cert, [extra, root.cert, signer.cert, inter.cert, root.cert])
    assert ordered == (inter.cert, root.cert, extra)


def test_certificate_summary(signer: devpki.Issued, inter: devpki.Issued) -> None:
    """The summary shows names, hex serial, dates, days left and key type for `keys show`."""
    summary = certificate_summary(signer.cert, NOW)
    assert summary.subject == signer.cert.subject.rfc4514_string()
    assert summary.issuer == inter.cert.subject.rfc4514_string()
    assert summary.serial == f"{signer.cert.serial_number:x}"
    assert summary.not_after == signer.cert.not_valid_after_utc
    assert summary.days_to_expiry == 730
    assert summary.key_type in {"RSA-2048", "EC secp256r1"}
    assert summary.to_dict()["days_to_expiry"] == 730


def test_certificate_summary_expired_is_negative(inter: devpki.Issued) -> None:
    """An expired certificate has negative days_to_expiry."""
    old = devpki.make_signer(
        inter, NOW, not_before=NOW - dt.timedelta(days=60), not_after=NOW - dt.timedelta(days=10)
    )
    assert certificate_summary(old.cert, NOW).days_to_expiry == -10
