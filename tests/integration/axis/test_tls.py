"""TLS to the axis: a configured CA bundle, the system store refusing a private CA, mutual TLS.

The sandbox application is served over TLS by uvicorn on 127.0.0.1 with certificates from a
throwaway CA; the client is built by :func:`agent.axis.http.build_http_client`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from agent.axis.api import AxisClient
from agent.axis.http import HttpClientSettings, TlsSettings, build_http_client, ssl_context
from agent.axis.wire import AxisCredentials, AxisWire, WireSettings
from agent.core.xroad import Secret
from agent.errors import AxisTransportError, ConfigError
from agent.sandbox import SandboxConfig
from agent.sandbox.app import SandboxApp
from agent.sandbox.service import Sandbox
from agent.signing.devpki import Issued, make_root
from tests.integration.axis.conftest import REGISTRY, SECRETS, utc_now

NOW = dt.datetime.now(dt.UTC)
KEY_PASSWORD = "mật-khẩu-khoá"


def leaf(ca: Issued, cn: str, usage: x509.ObjectIdentifier) -> Issued:
    """A TLS certificate for 127.0.0.1 (server) or a client, issued by ``ca``."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Issued(key, cert, (ca.cert,))


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path  # encrypted with KEY_PASSWORD


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    tmp = tmp_path_factory.mktemp("pki")
    ca = make_root(NOW, "Axis Test CA", kind="ec")
    server = leaf(ca, "axis.test", ExtendedKeyUsageOID.SERVER_AUTH)
    client = leaf(ca, "00.53.W00", ExtendedKeyUsageOID.CLIENT_AUTH)
    files = {
        "ca": ca.cert_pem(), "server_cert": server.cert_pem(), "server_key": server.key_pem(),
        "client_cert": client.cert_pem(), "client_key": client.key_pem(KEY_PASSWORD.encode()),
    }
    for name, data in files.items():
        (tmp / f"{name}.pem").write_bytes(data)
    return Pki(**{name: tmp / f"{name}.pem" for name in files})


@pytest.fixture(scope="module")
def tls_axis(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sandbox over HTTPS on 127.0.0.1, requiring a client certificate from the test CA."""
    sandbox = Sandbox(SandboxConfig(data_dir=tmp_path_factory.mktemp("axis"), registry=REGISTRY))
    config = uvicorn.Config(
        SandboxApp(sandbox), lifespan="off", log_config=None, access_log=False,
        ssl_certfile=str(pki.server_cert), ssl_keyfile=str(pki.server_key),
        ssl_ca_certs=str(pki.ca), ssl_cert_reqs=ssl.CERT_REQUIRED,
    )
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    sandbox.close()


def count(url: str, tls: TlsSettings) -> int:
    with build_http_client(HttpClientSettings(tls=tls)) as http:
        wire = AxisWire(http, WireSettings(url), AxisCredentials("00.53.W00",
                                                                  Secret(SECRETS["00.53.W00"])),
                        utc_now)
        return AxisClient(wire).count_receive_edoc()


def client_tls(pki: Pki, **kw: object) -> TlsSettings:
    return TlsSettings(ca_bundle=pki.ca, client_cert=pki.client_cert, client_key=pki.client_key,
                       client_key_password=Secret(KEY_PASSWORD), **kw)  # type: ignore[arg-type]


def test_mutual_tls_with_the_configured_ca(tls_axis: str, pki: Pki) -> None:
    """CA bundle + client certificate (password-protected key): the signed call succeeds."""
    assert count(tls_axis, client_tls(pki)) == 0


def test_system_trust_store_refuses_a_private_ca(tls_axis: str, pki: Pki) -> None:
    """Without the CA bundle the certificate is not trusted; the hint names the setting."""
    tls = TlsSettings(client_cert=pki.client_cert, client_key=pki.client_key,
                      client_key_password=Secret(KEY_PASSWORD))
    with pytest.raises(AxisTransportError) as caught:
        count(tls_axis, tls)
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.message
    assert caught.value.hint is not None and "ca_bundle" in caught.value.hint


def test_missing_client_certificate_is_a_transport_error(tls_axis: str, pki: Pki) -> None:
    """An axis that wants mTLS refuses a client without a certificate: AxisTransportError."""
    with pytest.raises(AxisTransportError):
        count(tls_axis, TlsSettings(ca_bundle=pki.ca))


def test_bad_tls_files_are_config_errors(pki: Pki, tmp_path: Path) -> None:
    """A missing CA file, a missing certificate or a wrong key password are ConfigErrors that
    name the file and never show the password."""
    with pytest.raises(ConfigError, match="ca_bundle"):
        ssl_context(TlsSettings(ca_bundle=tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="client_cert"):
        ssl_context(TlsSettings(client_cert=tmp_path / "missing.pem"))
    wrong = TlsSettings(client_cert=pki.client_cert, client_key=pki.client_key,
                        client_key_password=Secret("wrong"))
    with pytest.raises(ConfigError) as caught:
        ssl_context(wrong)
    assert "wrong" not in str(caught.value) and KEY_PASSWORD not in repr(client_tls(pki))
