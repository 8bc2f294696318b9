"""Checks of the keys and certificates: the signing key, its certificate, trust anchors, CRLs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from agent.doctor.context import Context
from agent.doctor.model import Check, error, ok, skipped, warning
from agent.errors import ConfigError, KeyMaterialError

#: A certificate expiring within this many days is a warning (renewal takes weeks at a CA).
EXPIRY_WARNING_DAYS = 30
_DEV_PKI = "lienthong-agent development PKI"
_RENEW = ("request a new certificate for the organisation from the CA (Ban Cơ yếu Chính phủ,"
          " VGCA) and install it with its key; then restart the agent")


def check_signing_key(ctx: Context) -> Check:
    """The configured key opens (with its password) and belongs to its certificate."""
    from agent.doctor.wiring import load_identity

    assert ctx.config is not None
    signing = ctx.config.signing
    if not (signing.pdf_signature or signing.xml_signature):
        return skipped("signing-key", "signatures are off (signing.pdf_signature and"
                       " signing.xml_signature): no key is used")
    try:
        ctx.identity = load_identity(ctx.config, ctx.environ)
        if ctx.identity is None:
            raise ConfigError("no signing key is configured (signing.key_file or key_credential)")
    except KeyMaterialError as exc:
        mismatch = "does not belong" in exc.message
        what = "the signing key does not match its certificate" if mismatch else (
            "the signing key cannot be used")
        fix = ("configure the key together with the certificate issued for it (signing.key_file"
               " and signing.certificate_file, or the .p12 exported from the token)"
               if mismatch else exc.hint or "check signing.key_file and the key password")
        return error("signing-key", f"{what}: {exc.message}", fix)
    except ConfigError as exc:
        return error("signing-key", f"the signing key cannot be read: {exc.message}",
                     exc.hint or "check signing.key_file / signing.key_credential")
    cert = ctx.identity.certificate
    return ok("signing-key", f"the key matches its certificate {cert.subject.rfc4514_string()}",
              subject=cert.subject.rfc4514_string())


def check_certificate(ctx: Context) -> Check:
    """Days until the signing certificate expires: a warning within 30 days, an error after."""
    from agent.signing.keys import certificate_summary

    if ctx.identity is None:
        return skipped("certificate", "no usable signing key (see signing-key)")
    now = ctx.clock()
    summary = certificate_summary(ctx.identity.certificate, now)
    facts = summary.to_dict()
    until = f"{summary.not_after:%Y-%m-%d}"
    if summary.not_before > now:
        return error("certificate", f"the signing certificate is valid only from"
                     f" {summary.not_before:%Y-%m-%d %H:%M} UTC",
                     "check this machine's clock, or wait until the certificate is valid", **facts)
    if summary.days_to_expiry < 0:
        return error("certificate", f"the signing certificate expired on {until}", _RENEW,
                     **facts)
    if summary.days_to_expiry < EXPIRY_WARNING_DAYS:
        return warning("certificate", f"the signing certificate expires in"
                       f" {summary.days_to_expiry} days ({until})", _RENEW, **facts)
    if _DEV_PKI in summary.issuer and not _loopback(str(ctx.config.axis.base_url)
                                                    if ctx.config else ""):
        return warning("certificate", "the signing certificate comes from the development PKI"
                       " (keys generate): recipients will report it as untrusted",
                       "install the organisation's real certificate before production", **facts)
    return ok("certificate", f"valid until {until} ({summary.days_to_expiry} days)", **facts)


def _loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


# --- trust anchors and CRLs ------------------------------------------------------------------


def check_trust_anchors(ctx: Context) -> Check:
    """The trust anchors load, are CA certificates, and are valid now."""
    from agent.signing.trust import load_certificates

    assert ctx.config is not None
    paths = ctx.config.verification.trust_anchors
    if not paths:
        return warning("trust-anchors", "no trust anchors: every signature on a received"
                       " document will be reported as untrusted",
                       "add the root certificates you trust to verification.trust_anchors"
                       " (e.g. RootCA chuyên dùng Chính phủ G2 from VGCA)")
    now, problems, names = ctx.clock(), list[str](), list[str]()
    for path in paths:
        try:
            certs = load_certificates(_read(path), source=str(path))
        except ConfigError as exc:
            problems.append(exc.message)
            continue
        for cert in certs:
            names.append(cert.subject.rfc4514_string())
            problems += _anchor_problems(path, cert, now)
    if problems:
        return error("trust-anchors", "; ".join(problems),
                     "list root (CA) certificates that are valid now, as PEM or DER files",
                     anchors=names)
    return ok("trust-anchors", f"{len(names)} CA certificate(s) loaded: {'; '.join(names)}",
              anchors=names)


def _anchor_problems(path: Path, cert: x509.Certificate, now: dt.datetime) -> list[str]:
    name = f"{path}: {cert.subject.rfc4514_string()}"
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    problems = [] if is_ca else [f"{name} is not a CA certificate"]
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        problems.append(f"{name} is not valid now (valid {cert.not_valid_before_utc:%Y-%m-%d} to"
                        f" {cert.not_valid_after_utc:%Y-%m-%d})")
    return problems


def check_crls(ctx: Context) -> Check:
    """The CRLs load and are current (nextUpdate not passed)."""
    from agent.signing.trust import load_crls

    assert ctx.config is not None
    verification = ctx.config.verification
    if not verification.crl_files:
        if verification.require_revocation_info:
            return error("crls", "require_revocation_info is on but no CRL is configured: every"
                         " signature will be reported as not valid",
                         "add the CAs' CRLs to verification.crl_files")
        return skipped("crls", "no CRLs configured: revocation is not checked")
    now, problems, stale = ctx.clock(), list[str](), list[str]()
    for path in verification.crl_files:
        try:
            crls = load_crls(_read(path), source=str(path))
        except ConfigError as exc:
            problems.append(exc.message)
            continue
        stale += [f"{path} ({crl.issuer.rfc4514_string()}) expired on"
                  f" {crl.next_update_utc:%Y-%m-%d %H:%M} UTC"
                  for crl in crls if crl.next_update_utc is not None and crl.next_update_utc < now]
    return _crl_verdict(problems, stale, verification.require_revocation_info,
                        len(verification.crl_files))


def _crl_verdict(problems: list[str], stale: list[str], required: bool, count: int) -> Check:
    refresh = ("download the current CRL from the CA and replace the file; schedule that (the"
               " agent never downloads CRLs itself)")
    if problems:
        return error("crls", "; ".join(problems), "give PEM or DER CRL files as the CA publishes")
    if stale and required:
        return error("crls", "stale CRL: " + "; ".join(stale), refresh, stale=stale)
    if stale:
        return warning("crls", "stale CRL (revocations after it are not seen): "
                       + "; ".join(stale), refresh, stale=stale)
    return ok("crls", f"{count} CRL file(s) loaded and current")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror}") from None
