"""The crypto limit: signatures per second of the libraries alone, on one core, in this process.

* pyHanko alone: ``signers.sign_pdf`` with a ``SimpleSigner`` loaded from the PEM files, on the
  same 300 KB PDF the throughput benchmarks send (an incremental update, like the agent's).
* The agent's ``sign_pdf`` (pyHanko plus the agent's checks and its in-memory key signer).
* cryptography alone: RSA-2048 PKCS#1 v1.5 SHA-256 signatures of a short message (the private-key
  operation inside every PDF and XML signature).
* The agent's ``verify_pdf`` (what each received PDF costs: digest, CMS, path to the anchor).

pyHanko is pure Python around the key operation and holds the GIL, so one daemon process signs
at about this rate whatever ``upload.concurrency`` is.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable
from pathlib import Path

from bench.lab import pdf_300kb
from bench.report import Figure
from tests.integration.services.fixtures import Pki

SECTION = "crypto"


def rate(action: Callable[[], object], seconds: float) -> float:
    action()  # warm-up (imports, caches)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds or count < 3:
        action()
        count += 1
    return count / (time.perf_counter() - started)


def pyhanko_alone(pki: Pki, source: bytes, *, stock: bool) -> Callable[[], object]:
    """pyHanko's own ``sign_pdf`` with its stock ``SimpleSigner`` (which loads the private key
    from DER again for every signature) or, ``stock=False``, with a minimal signer holding the
    cryptography key object (what any careful caller does)."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    pems = [p + b"-----END CERTIFICATE-----\n"
            for p in pki.a_chain.read_bytes().split(b"-----END CERTIFICATE-----") if p.strip()]
    cert_file, ca_file = pki.a_chain.parent / "a-cert-only.pem", pki.a_chain.parent / "a-ca.pem"
    cert_file.write_bytes(pems[0])
    ca_file.write_bytes(b"".join(pems[1:]))
    signer: signers.Signer | None
    if stock:
        signer = signers.SimpleSigner.load(str(pki.a_key), str(cert_file), [str(ca_file)])
    else:
        from cryptography import x509

        key = load_pem_private_key(pki.a_key.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        certs = [asn1_x509.Certificate.load(
            x509.load_pem_x509_certificate(p).public_bytes(Encoding.DER)) for p in pems]

        class KeySigner(signers.Signer):
            async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                                     dry_run: bool = False) -> bytes:
                return key.sign(data, padding.PKCS1v15(), hashes.SHA256())

        signer = KeySigner(signing_cert=certs[0],
                           cert_registry=SimpleCertificateStore.from_certs(certs[1:]))
    assert signer is not None

    def sign() -> bytes:
        out = io.BytesIO()
        writer = IncrementalPdfFileWriter(io.BytesIO(source))
        signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Sig"), signer=signer,
                         output=out)
        return out.getvalue()
    return sign


def run(pki: Pki, *, quick: bool, workdir: Path) -> list[Figure]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from agent.signing.keys import SigningIdentity
    from agent.signing.pdf import sign_pdf, verify_pdf
    from agent.signing.trust import TrustPolicy

    seconds = 1.5 if quick else 4.0
    source = pdf_300kb()
    now = dt.datetime.now(dt.UTC)
    identity = SigningIdentity.from_pem_files(pki.a_key, pki.a_chain)
    key = serialization.load_pem_private_key(pki.a_key.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    message = b"x" * 120

    rsa_rate = rate(lambda: key.sign(message, padding.PKCS1v15(), hashes.SHA256()), seconds)
    hanko_rate = rate(pyhanko_alone(pki, source, stock=False), seconds)
    stock_rate = rate(pyhanko_alone(pki, source, stock=True), seconds)

    def agent_sign() -> bytes:
        out = io.BytesIO()
        sign_pdf(io.BytesIO(source), out, identity, now=now)
        return out.getvalue()

    agent_rate = rate(agent_sign, seconds)
    signed = agent_sign()
    policy = TrustPolicy.from_pem_files([pki.root])
    verify_rate = rate(lambda: verify_pdf(io.BytesIO(signed), policy, target="a.pdf", now=now),
                       seconds)
    kb = len(source) // 1024
    return [
        Figure(SECTION, f"PDF signature, pyHanko alone, key held ({kb} KB PDF, RSA-2048, 1 core)",
               hanko_rate, "sig/s", "RSA-2048 sign, cryptography alone", rsa_rate, "sig/s",
               note="the crypto limit of signed outbound throughput: one daemon process signs "
                    "PDFs at about this rate (pyHanko holds the GIL)"),
        Figure(SECTION, "PDF signature, pyHanko alone, stock SimpleSigner (1 core)",
               stock_rate, "sig/s", "pyHanko alone, key held", hanko_rate, "sig/s",
               note="SimpleSigner loads the private key from DER again for every signature"),
        Figure(SECTION, "PDF signature, the agent's sign_pdf (1 core)", agent_rate, "sig/s",
               "pyHanko alone, key held", hanko_rate, "sig/s"),
        Figure(SECTION, "PDF verification, the agent's verify_pdf (1 core)", verify_rate,
               "verif/s", "pyHanko signing alone", hanko_rate, "sig/s"),
    ]
