"""HTTPS and mutual TLS (AXIS.md §14: TLS requirements are a setting)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from agent.errors import ConfigError
from agent.sandbox import SandboxConfig
from agent.signing.devpki import Issued, make_root
from tests.integration.sandbox.conftest import TN, StartSandbox

NOW = dt.datetime.now(dt.UTC)


def leaf(ca: Issued, cn: str, usage: x509.ObjectIdentifier) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(ca.cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=3))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Issued(key, cert, (ca.cert,))


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path]:
    ca = make_root(NOW, "Sandbox Test CA", kind="ec")
    server = leaf(ca, "127.0.0.1", ExtendedKeyUsageOID.SERVER_AUTH)
    client = leaf(ca, TN, ExtendedKeyUsageOID.CLIENT_AUTH)
    files = {"ca": ca.cert_pem(), "cert": server.cert_pem(), "key": server.key_pem(),
             "client_cert": client.cert_pem(), "client_key": client.key_pem()}
    for name, data in files.items():
        (tmp_path / f"{name}.pem").write_bytes(data)
    return {name: tmp_path / f"{name}.pem" for name in files}


def test_https_with_a_client_certificate_requirement(start_sandbox: StartSandbox,
                                                     pki: dict[str, Path]) -> None:
    """--tls-cert/--tls-key serve HTTPS; with --tls-client-ca, no client certificate: refused."""
    running = start_sandbox(tls_cert=pki["cert"], tls_key=pki["key"], tls_client_ca=pki["ca"])
    trusted = ssl.create_default_context(cafile=str(pki["ca"]))
    with_cert = ssl.create_default_context(cafile=str(pki["ca"]))
    with_cert.load_cert_chain(str(pki["client_cert"]), str(pki["client_key"]))
    assert running.server.url.startswith("https://127.0.0.1:")
    answer = running.client(TN, http=httpx.Client(verify=with_cert)).get_agencies_list()
    assert "OK" == answer["status"]
    with pytest.raises(httpx.TransportError):
        running.client(TN, http=httpx.Client(verify=trusted)).get_agencies_list()


def test_tls_settings_must_come_in_pairs(tmp_path: Path) -> None:
    """A certificate without its key, or a client CA without HTTPS, is a configuration error."""
    with pytest.raises(ConfigError):
        SandboxConfig(data_dir=tmp_path, tls_cert=tmp_path / "cert.pem")
    with pytest.raises(ConfigError):
        SandboxConfig(data_dir=tmp_path, tls_client_ca=tmp_path / "ca.pem")
