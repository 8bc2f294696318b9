"""The attack corpus of issue 2 in one table: each attack is refused with its own specific error.

Every case goes through what a receiver runs: the one-pass parse and XML-signature verification
(``parse_and_verify``), the attachment-name policy, and the bounded ZIP unwrapping. The detailed
variants of each attack live next to the code they target (tests/unit/edxml/test_hostile.py,
tests/integration/test_xmldsig_attacks.py, tests/unit/edxml/test_names.py,
tests/unit/edxml/test_zipwrap.py); this table proves the whole list, and that no two attacks
share an error class, so an operator reading an error file knows which attack it was.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable

import pytest

from agent.core.edxml import DiscardSink, safe_attachment_name, unwrap_attachment
from agent.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    CommentInjectionError,
    EntityDeclarationError,
    ExternalDtdError,
    ExternalEntityError,
    LienthongError,
    MissingCertificateError,
    SignatureWrappingError,
    UnsafeAttachmentNameError,
    UntrustedCertificateError,
    WeakAlgorithmError,
    ZipBombError,
)
from agent.signing import devpki
from agent.signing.trust import TrustPolicy
from agent.signing.xmldsig import parse_and_verify
from tests.support.xmldsig_fixtures import (
    NOW,
    RSA_SHA1,
    SHA1,
    forge,
    identity_of,
    key_info_key_value,
    pki,
    sign,
    signed,
    unsigned,
)

SENT = dt.datetime(2024, 11, 5, 1, 30, tzinfo=dt.UTC)  # the example's sender TraceHeader, +07


def _received(package: bytes, trust: TrustPolicy | None = None) -> LienthongError | None:
    """What the receiver gets: a raised refusal, or the XML signature report's error."""
    try:
        _, report = parse_and_verify(
            io.BytesIO(package), trust or pki().trust, NOW, DiscardSink()
        )
    except LienthongError as exc:
        return exc
    return report.error


def _doctype(declaration: bytes) -> bytes:
    body = unsigned()
    head, rest = body.split(b"\n", 1)
    return head + b"\n" + declaration + rest


def _signed_by(issued: devpki.Issued) -> bytes:
    return sign(unsigned(), identity_of(issued))


def _fragment(package: bytes) -> bytes:
    start = package.index(b"<Signature ")
    return package[start : package.index(b"</Signature>") + len(b"</Signature>")]


def _name(declared: str) -> LienthongError | None:
    try:
        safe_attachment_name(declared)
    except LienthongError as exc:
        return exc
    return None


def _zip_bomb() -> LienthongError | None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("6f1e.pdf", b"\0" * (64 << 20))  # 64 MiB of zeros in ~64 KiB
    buffer.seek(0)
    try:
        unwrap_attachment(buffer, "cong-van.zip", io.BytesIO())
    except LienthongError as exc:
        return exc
    return None


def _revoked() -> LienthongError | None:
    crl = devpki.make_crl(pki().issuing, NOW, [pki().signer.cert])
    return _received(signed(), TrustPolicy([pki().root.cert], [crl]))


CORPUS: list[tuple[str, Callable[[], LienthongError | None], type[LienthongError]]] = [
    ("xxe", lambda: _received(_doctype(
        b'<!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n')), ExternalEntityError),
    ("billion-laughs", lambda: _received(_doctype(
        b'<!DOCTYPE edXML [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n')),
     EntityDeclarationError),
    ("external-dtd", lambda: _received(_doctype(
        b'<!DOCTYPE edXML SYSTEM "http://attacker.example/edxml.dtd">\n')), ExternalDtdError),
    ("signature-wrapping", lambda: _received(
        signed().replace(_fragment(signed()), _fragment(signed()) * 2)), SignatureWrappingError),
    ("comment-injection", lambda: _received(signed().replace(
        b"<edXML:OrganId>000.00.13.H53", b"<edXML:OrganId>000.00<!-- -->.13.H53", 1)),
     CommentInjectionError),
    ("keyvalue-only-key", lambda: _received(forge(
        unsigned(), pki().identity, key_info=key_info_key_value(pki().identity))),
     MissingCertificateError),
    ("sha1-signature", lambda: _received(forge(
        unsigned(), pki().identity, signature_method=RSA_SHA1, digest_method=SHA1)),
     WeakAlgorithmError),
    ("expired-certificate", lambda: _received(_signed_by(devpki.make_signer(
        pki().issuing, NOW, not_before=SENT - dt.timedelta(days=30),
        not_after=SENT - dt.timedelta(hours=1)))), CertificateExpiredError),
    ("not-yet-valid-certificate", lambda: _received(_signed_by(devpki.make_signer(
        pki().issuing, NOW, not_before=SENT + dt.timedelta(minutes=30)))),
     CertificateNotYetValidError),
    ("untrusted-certificate", lambda: _received(
        signed(), TrustPolicy([devpki.make_root(NOW, "Some Other Root").cert])),
     UntrustedCertificateError),
    ("revoked-certificate", _revoked, CertificateRevokedError),
    ("hostile-attachment-name", lambda: _name("../../etc/cron.d/x.pdf"), UnsafeAttachmentNameError),
    ("zip-bomb", _zip_bomb, ZipBombError),
]


@pytest.mark.parametrize(
    ("attack", "expected"), [(name, kind) for name, _, kind in CORPUS], ids=[c[0] for c in CORPUS]
)
def test_each_attack_is_refused_with_its_own_error(
    attack: str, expected: type[LienthongError]
) -> None:
    """The attack is refused, with exactly this error class (not a parent, not a sibling), and a
    message an operator can act on."""
    produce = next(make for name, make, _ in CORPUS if name == attack)
    error = produce()
    assert error is not None, f"{attack} was accepted"
    assert type(error) is expected, f"{attack}: {type(error).__name__}: {error}"
    assert len(error.message) > 20


def test_no_two_attacks_share_an_error_class() -> None:
    """Every attack in the corpus has a distinct error class (and so a distinct ``code``)."""
    classes = [kind for _, _, kind in CORPUS]
    assert len(set(classes)) == len(classes)
    assert len({kind.code for kind in classes}) == len(classes)


@pytest.mark.parametrize(
    "declared",
    ["/etc/passwd", "C:\\Windows\\x.pdf", "a\x00b.pdf", "CON.pdf", "a\u2215..\u2215b.pdf",
     "..\uff0fx.pdf", "tab\tname.pdf"],
    ids=["absolute", "drive", "nul", "device", "division-slash", "fullwidth-solidus", "control"],
)
def test_every_kind_of_hostile_name_is_refused(declared: str) -> None:
    """The hostile-name row stands for all of its kinds: each is an UnsafeAttachmentNameError."""
    assert type(_name(declared)) is UnsafeAttachmentNameError
