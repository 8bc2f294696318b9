"""TrustPolicy: path validation to configured anchors only, time, CRLs, signer profile.

Integration tier because ``from_pem_files`` reads real files; every certificate comes from devpki
with a fixed ``NOW``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from agent.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateProfileError,
    CertificateRevokedError,
    ConfigError,
    UntrustedCertificateError,
)
from agent.signing import devpki
from agent.signing.trust import TrustPolicy, ValidatedSigner

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
PKI_EPOCH = NOW - 365 * DAY  # the CAs exist long before the signers' certificates


@pytest.fixture(scope="module")
def root() -> devpki.Issued:
    return devpki.make_root(PKI_EPOCH)


@pytest.fixture(scope="module")
def inter(root: devpki.Issued) -> devpki.Issued:
    return devpki.make_intermediate(root, PKI_EPOCH)


@pytest.fixture(scope="module")
def signer(inter: devpki.Issued) -> devpki.Issued:
    return devpki.make_signer(inter, NOW)


@pytest.fixture(scope="module")
def policy(root: devpki.Issued) -> TrustPolicy:
    return TrustPolicy([root.cert])


def _validate(policy: TrustPolicy, issued: devpki.Issued, at: dt.datetime = NOW) -> ValidatedSigner:
    return policy.validate_signer(issued.cert, list(issued.chain[:-1]), at)


def _crl(
    issuer: devpki.Issued,
    entries: list[tuple[x509.Certificate, dt.datetime, x509.ReasonFlags | None]],
    *,
    next_update: dt.datetime = NOW + 7 * DAY,
    signing_key: devpki.PrivateKey | None = None,
) -> x509.CertificateRevocationList:
    """A CRL with chosen revocation dates and reasons (devpki's always says keyCompromise)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(NOW - DAY)
        .next_update(next_update)
    )
    for cert, when, reason in entries:
        entry = x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
        entry = entry.revocation_date(when)
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(signing_key or issuer.key, hashes.SHA256())


# --- paths ------------------------------------------------------------------------------------


def test_signer_through_intermediate_is_validated(
    policy: TrustPolicy, signer: devpki.Issued, inter: devpki.Issued, root: devpki.Issued
) -> None:
    """A leaf -> intermediate -> configured root path validates and reports who signed."""
    result = _validate(policy, signer)
    assert result.subject == signer.cert.subject.rfc4514_string()
    assert result.issuer == inter.cert.subject.rfc4514_string()
    assert result.serial == signer.cert.serial_number
    assert result.chain == (signer.cert, inter.cert, root.cert)
    assert result.certificate == signer.cert
    assert result.revocation_checked is False


def test_missing_intermediate_is_untrusted(policy: TrustPolicy, signer: devpki.Issued) -> None:
    """Without the intermediate there is no path (nothing is fetched from the network)."""
    with pytest.raises(UntrustedCertificateError) as info:
        policy.validate_signer(signer.cert, [], NOW)
    assert f"0x{signer.cert.serial_number:x}" in info.value.message
    assert "trust anchor" in (info.value.hint or "")


def test_unknown_root_is_untrusted(signer: devpki.Issued) -> None:
    """A chain to a root that is not configured is untrusted, and the message names the signer."""
    other = TrustPolicy([devpki.make_root(PKI_EPOCH, "Some Other Root").cert])
    with pytest.raises(UntrustedCertificateError) as info:
        _validate(other, signer)
    assert "Sở Thông tin và Truyền thông" in info.value.message
    assert "does not chain" in info.value.message


def test_self_signed_outsider_is_untrusted(policy: TrustPolicy) -> None:
    """A self-signed non-anchor certificate is untrusted, not an escaped library error."""
    stranger = devpki.make_root(NOW, "Self Signed Stranger")
    with pytest.raises(UntrustedCertificateError):
        policy.validate_signer(stranger.cert, [], NOW)


def test_no_anchors_configured_is_untrusted(signer: devpki.Issued) -> None:
    """An empty trust store trusts nothing (and never falls back to the system CA store)."""
    with pytest.raises(UntrustedCertificateError, match="no trust anchors"):
        _validate(TrustPolicy([]), signer)


def test_naive_moment_is_a_programming_error(policy: TrustPolicy, signer: devpki.Issued) -> None:
    """``at`` must be timezone-aware; a naive datetime is refused up front."""
    with pytest.raises(ValueError, match="timezone-aware"):
        _validate(policy, signer, at=NOW.replace(tzinfo=None))


def test_works_inside_a_running_event_loop(policy: TrustPolicy, signer: devpki.Issued) -> None:
    """The async engine underneath does not break callers that already run an event loop."""

    async def call() -> ValidatedSigner:
        return _validate(policy, signer)

    assert asyncio.run(call()).serial == signer.cert.serial_number


# --- time -------------------------------------------------------------------------------------


def test_expired_at_signing_time(policy: TrustPolicy, inter: devpki.Issued) -> None:
    """A certificate that expired before ``at`` is CertificateExpiredError; before, it is fine."""
    old = devpki.make_signer(inter, NOW, not_before=NOW - 30 * DAY, not_after=NOW - DAY)
    with pytest.raises(CertificateExpiredError) as info:
        _validate(policy, old)
    assert f"0x{old.cert.serial_number:x}" in info.value.message
    assert _validate(policy, old, at=NOW - 2 * DAY).serial == old.cert.serial_number


def test_not_yet_valid_at_signing_time(policy: TrustPolicy, inter: devpki.Issued) -> None:
    """A certificate whose validity starts after ``at`` is CertificateNotYetValidError."""
    future = devpki.make_signer(inter, NOW, not_before=NOW + DAY, not_after=NOW + 90 * DAY)
    with pytest.raises(CertificateNotYetValidError):
        _validate(policy, future)


def test_expired_intermediate_is_named(root: devpki.Issued) -> None:
    """When the intermediate CA expired, the message names the intermediate, not the signer."""
    old_ca = devpki.make_intermediate(root, NOW - 400 * DAY, "Old Issuing CA", days=300)
    leaf = devpki.make_signer(old_ca, NOW - 200 * DAY, not_after=NOW + 100 * DAY)
    with pytest.raises(CertificateExpiredError, match="Old Issuing CA"):
        _validate(TrustPolicy([root.cert]), leaf)


# --- revocation -------------------------------------------------------------------------------


def test_revoked_by_configured_crl(root: devpki.Issued, inter: devpki.Issued) -> None:
    """A signer listed on the issuing CA's configured CRL is CertificateRevokedError."""
    leaf = devpki.make_signer(inter, NOW)
    policy = TrustPolicy([root.cert], [devpki.make_crl(inter, NOW, [leaf.cert])])
    with pytest.raises(CertificateRevokedError, match="keyCompromise"):
        _validate(policy, leaf)


def test_crl_not_listing_signer_passes(
    root: devpki.Issued, inter: devpki.Issued, signer: devpki.Issued
) -> None:
    """A current CRL that lists other certificates does not affect the signer."""
    other = devpki.make_signer(inter, NOW)
    policy = TrustPolicy([root.cert], [devpki.make_crl(inter, NOW, [other.cert])])
    assert _validate(policy, signer).serial == signer.cert.serial_number


def test_crl_with_forged_signature_is_ignored(
    root: devpki.Issued, inter: devpki.Issued, signer: devpki.Issued
) -> None:
    """A CRL carrying the CA's name but signed by another key cannot revoke anything."""
    forged = _crl(
        inter,
        [(signer.cert, NOW - DAY, x509.ReasonFlags.key_compromise)],
        signing_key=devpki.new_key(),
    )
    assert _validate(TrustPolicy([root.cert], [forged]), signer).revocation_checked is False


def test_revocation_after_signing_time_for_benign_reason(
    root: devpki.Issued, inter: devpki.Issued, signer: devpki.Issued
) -> None:
    """Revoked later as 'superseded': a signature claimed before that date stays valid."""
    crl = _crl(
        inter, [(signer.cert, NOW + DAY, x509.ReasonFlags.superseded)], next_update=NOW + 9 * DAY
    )
    policy = TrustPolicy([root.cert], [crl])
    assert _validate(policy, signer).serial == signer.cert.serial_number
    with pytest.raises(CertificateRevokedError, match="superseded"):
        _validate(policy, signer, at=NOW + 2 * DAY)


@pytest.mark.parametrize("reason", [x509.ReasonFlags.key_compromise, None])
def test_compromise_revocation_counts_whatever_the_claimed_time(
    root: devpki.Issued,
    inter: devpki.Issued,
    signer: devpki.Issued,
    reason: x509.ReasonFlags | None,
) -> None:
    """A key-compromise (or reasonless) revocation wins over a signing time claimed before it."""
    crl = _crl(inter, [(signer.cert, NOW + DAY, reason)], next_update=NOW + 9 * DAY)
    with pytest.raises(CertificateRevokedError):
        _validate(TrustPolicy([root.cert], [crl]), signer)


def test_required_revocation_info_missing(root: devpki.Issued, signer: devpki.Issued) -> None:
    """With require_revocation_info, a path without CRLs is untrusted and says what to update."""
    policy = TrustPolicy([root.cert], require_revocation_info=True)
    with pytest.raises(UntrustedCertificateError) as info:
        _validate(policy, signer)
    assert "CRL" in (info.value.hint or "")


def test_required_revocation_info_present(
    root: devpki.Issued, inter: devpki.Issued, signer: devpki.Issued
) -> None:
    """With CRLs from both CAs of the path, validation passes and reports the check."""
    crls = [devpki.make_crl(inter, NOW), devpki.make_crl(root, NOW)]
    policy = TrustPolicy([root.cert], crls, require_revocation_info=True)
    assert _validate(policy, signer).revocation_checked is True


def test_required_revocation_info_stale(
    root: devpki.Issued, inter: devpki.Issued, signer: devpki.Issued
) -> None:
    """A CRL whose nextUpdate is before ``at`` does not count as current revocation info."""
    crls = [_crl(inter, [], next_update=NOW - DAY), devpki.make_crl(root, NOW)]
    policy = TrustPolicy([root.cert], crls, require_revocation_info=True)
    with pytest.raises(UntrustedCertificateError, match="no current revocation"):
        _validate(policy, signer)


# --- profile ----------------------------------------------------------------------------------


def test_version1_certificate_is_refused(policy: TrustPolicy, inter: devpki.Issued) -> None:
    """An X.509 v1 signer certificate chains fine but breaks the signing profile."""
    with pytest.raises(CertificateProfileError, match="v1"):
        _validate(policy, devpki.make_signer(inter, NOW, version1=True))


def test_encipherment_only_key_usage_is_refused(policy: TrustPolicy, inter: devpki.Issued) -> None:
    """keyUsage without digitalSignature/nonRepudiation is CertificateProfileError."""
    leaf = devpki.make_signer(inter, NOW, key_usage="encipherment-only")
    with pytest.raises(CertificateProfileError, match="digitalSignature"):
        _validate(policy, leaf)


def test_missing_key_usage_is_accepted(policy: TrustPolicy, inter: devpki.Issued) -> None:
    """Documented decision: no keyUsage extension means no restriction (RFC 5280 §4.2.1.3)."""
    leaf = devpki.make_signer(inter, NOW, key_usage="none")
    assert _validate(policy, leaf).serial == leaf.cert.serial_number


def test_ec_signer_is_validated(policy: TrustPolicy, inter: devpki.Issued) -> None:
    """EC P-256 signer certificates validate like RSA ones."""
    leaf = devpki.make_signer(inter, NOW, kind="ec")
    assert _validate(policy, leaf).serial == leaf.cert.serial_number


# --- loading ----------------------------------------------------------------------------------


def test_from_pem_files_reads_bundles_and_both_crl_encodings(
    tmp_path: Path, root: devpki.Issued, inter: devpki.Issued
) -> None:
    """A PEM bundle with two anchors plus a PEM and a DER CRL are all loaded and honoured."""
    second_root = devpki.make_root(NOW, "Second Root")
    bundle = tmp_path / "anchors.pem"
    bundle.write_bytes(root.cert_pem() + second_root.cert_pem())
    leaf = devpki.make_signer(inter, NOW)
    pem_crl = tmp_path / "inter.crl.pem"
    pem_crl.write_bytes(devpki.crl_pem(devpki.make_crl(inter, NOW, [leaf.cert])))
    der_crl = tmp_path / "root.crl"
    der_crl.write_bytes(devpki.make_crl(root, NOW).public_bytes(Encoding.DER))

    policy = TrustPolicy.from_pem_files([bundle], [pem_crl, der_crl])

    assert policy.anchors == (root.cert, second_root.cert)
    assert len(policy.crls) == 2
    with pytest.raises(CertificateRevokedError):
        _validate(policy, leaf)


def test_from_pem_files_accepts_der_anchor(tmp_path: Path, root: devpki.Issued) -> None:
    """A single DER-encoded anchor certificate is accepted too."""
    path = tmp_path / "root.cer"
    path.write_bytes(root.cert.public_bytes(Encoding.DER))
    assert TrustPolicy.from_pem_files([path]).anchors == (root.cert,)


def test_from_pem_files_missing_file_is_config_error(tmp_path: Path) -> None:
    """A missing anchor file is a ConfigError naming the path."""
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError, match="nope.pem"):
        TrustPolicy.from_pem_files([missing])


def test_from_pem_files_garbage_is_config_error(tmp_path: Path) -> None:
    """Files that hold no certificate / no CRL are ConfigErrors, not cryptography errors."""
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError):
        TrustPolicy.from_pem_files([junk])
    with pytest.raises(ConfigError):
        TrustPolicy.from_pem([], [b"definitely not a CRL"])
