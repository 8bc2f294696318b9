"""``lienthong-agent keys``: development keys and certificates; what a certificate file holds.

``keys generate`` makes a **development-only** PKI with :mod:`agent.signing.devpki`: a root CA
(made once per output folder, reused for every further organ generated there) and an
organisation signing key and certificate for an organ code, as PEM and as PKCS#12. Real signing
certificates come from Ban Cơ yếu Chính phủ (VGCA) or a public CA, never from this command.

``keys show`` prints subject, issuer, serial, validity, days to expiry, key type and SHA-256
fingerprint of each certificate in a PEM, DER or PKCS#12 file.

Passwords are read from files (``--password-file``) and never printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli import EXIT_INVALID, EXIT_OK
from agent.cli._output import print_json, warn
from agent.cli._state import utc_now
from agent.errors import KeyMaterialError

if TYPE_CHECKING:
    from agent.signing.devpki import Issued

ROOT_CERT, ROOT_KEY = "dev-root-ca.pem", "dev-root-ca.key"
DEV_ORGANISATION = "lienthong-agent development PKI"  # the O= of devpki's CAs
BANNER = ("DEVELOPMENT ONLY: these keys come from a throw-away test PKI. Never use them for real"
          " documents; an agency's signing certificate is issued by Ban Cơ yếu Chính phủ (VGCA)"
          " or a public CA.")


def register(subparsers: Any) -> None:
    """Add ``keys`` and its subcommands to the top-level parser."""
    parser = subparsers.add_parser(
        "keys",
        help="generate development keys and certificates; show a certificate",
        description="Development signing keys and certificates, and what a certificate file"
        " holds.",
    )
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    _register_generate(sub)
    _register_show(sub)


def _register_generate(sub: Any) -> None:
    p = sub.add_parser(
        "generate",
        help="make a DEVELOPMENT root CA and an organisation signing key and certificate",
        description="DEVELOPMENT ONLY. Make an organisation signing key and certificate for an"
        " organ code, issued by a development root CA, as PEM and PKCS#12, in --out. The root CA"
        f" ({ROOT_CERT}, key {ROOT_KEY}) is made on first use and reused for every organ"
        " generated in the same folder, so agents trusting it verify each other. Keys and the"
        " PKCS#12 file are encrypted with the password read from --password-file and written"
        " 0600. Exit 0, or 1 when a file exists (use --force) or the root key cannot be read.",
        epilog=f"files: {ROOT_CERT} {ROOT_KEY} CODE.pem CODE.key CODE-chain.pem CODE.p12."
        " Configuration: signing.key_file: CODE.p12, signing.key_password_file: the password"
        f" file, verification.trust_anchors: [{ROOT_CERT}]",
    )
    p.add_argument("--organ", required=True, metavar="CODE",
                   help="the organ's mã định danh, written in the certificate (OU)")
    p.add_argument("--name", default=None, help="the organisation's name (CN and O)")
    p.add_argument("--out", type=Path, default=Path("dev-keys"), metavar="DIR",
                   help="output folder, created if missing (default ./dev-keys)")
    p.add_argument("--password-file", type=Path, required=True, metavar="FILE",
                   help="file holding the password of the keys and the PKCS#12 file (a trailing"
                   " newline is ignored; an empty file: no encryption)")
    p.add_argument("--key-type", choices=("rsa", "ec"), default="rsa",
                   help="RSA-2048 (default, what VGCA issues) or EC P-256")
    p.add_argument("--days", type=int, default=730, help="validity of the certificate (730)")
    p.add_argument("--force", action="store_true", help="overwrite the organ's files")
    p.add_argument("--json", action="store_true", help="print JSON (docs/cli.md)")
    p.set_defaults(func=run_generate)


def _register_show(sub: Any) -> None:
    p = sub.add_parser(
        "show",
        help="print what a certificate, chain or PKCS#12 file holds",
        description="Print subject, issuer, serial, validity, days to expiry, key type and"
        " SHA-256 fingerprint of every certificate in a PEM bundle, a DER certificate or a"
        " PKCS#12 (.p12/.pfx) file. For PKCS#12, also whether its private key matches its"
        " certificate. Exit 0, or 1 when the file cannot be read.",
        epilog="JSON shape: docs/cli.md#keys-show",
    )
    p.add_argument("file", type=Path, metavar="CERT|P12", help="the file to show")
    p.add_argument("--password-file", type=Path, metavar="FILE",
                   help="password of a PKCS#12 file (default: none)")
    p.add_argument("--json", action="store_true", help="print JSON (docs/cli.md)")
    p.set_defaults(func=run_show)


def read_password(path: Path | None) -> bytes | None:
    """The password in ``path`` (one trailing newline dropped); None for no file or empty."""
    if path is None:
        return None
    try:
        value = path.read_bytes()
    except OSError as exc:
        raise KeyMaterialError(f"cannot read the password file {path}: {exc.strerror}") from None
    return value.removesuffix(b"\n").removesuffix(b"\r") or None


# --- generate --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    root_cert: Path
    root_created: bool
    files: dict[str, Path]
    signer: Issued


def generate(
    out: Path, organ: str, password: bytes | None, *, name: str | None = None,
    key_type: str = "rsa", days: int = 730, force: bool = False, now: dt.datetime,
) -> Generated:
    """Make (or reuse) the root CA in ``out`` and issue the organ's key and certificate."""
    from agent.files.atomic import write_file_atomic
    from agent.signing import devpki

    files = _organ_files(out, organ)
    existing = [str(p) for p in files.values() if p.exists()]
    if existing and not force:
        raise KeyMaterialError(f"{', '.join(existing)} already exist(s)",
                               hint="add --force to replace the organ's key and certificate")
    out.mkdir(parents=True, exist_ok=True)
    root, created = _root(out, password, now)
    kind: devpki.KeyKind = "ec" if key_type == "ec" else "rsa"
    signer = devpki.make_signer(root, now, organ_id=organ, organ_name=name or f"Cơ quan {organ}",
                                kind=kind, not_after=now + dt.timedelta(days=days))
    write_file_atomic(files["key"], signer.key_pem(password), 0o600)
    write_file_atomic(files["certificate"], signer.cert_pem())
    write_file_atomic(files["chain"], signer.cert_pem() + signer.chain_pem())
    write_file_atomic(files["pkcs12"], signer.pkcs12(password, organ.encode()), 0o600)
    return Generated(out / ROOT_CERT, created, files, signer)


def _organ_files(out: Path, organ: str) -> dict[str, Path]:
    return {"key": out / f"{organ}.key", "certificate": out / f"{organ}.pem",
            "chain": out / f"{organ}-chain.pem", "pkcs12": out / f"{organ}.p12"}


def _root(out: Path, password: bytes | None, now: dt.datetime) -> tuple[Issued, bool]:
    """The development root CA of ``out``: loaded when present, else made and written."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from agent.files.atomic import write_file_atomic
    from agent.signing import devpki

    cert_path, key_path = out / ROOT_CERT, out / ROOT_KEY
    if cert_path.exists() and key_path.exists():
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password)
        except (ValueError, TypeError) as exc:
            raise KeyMaterialError(
                f"cannot load the development root key {key_path}: wrong password?",
                hint="use the password file the root was made with, or another --out folder",
            ) from exc
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return devpki.Issued(key, cert), False  # type: ignore[arg-type]
    root = devpki.make_root(now, "Lienthong Dev Root CA (development only)")
    write_file_atomic(key_path, root.key_pem(password), 0o600)
    write_file_atomic(cert_path, root.cert_pem())
    return root, True


def run_generate(args: argparse.Namespace) -> int:
    from agent.core.organ import check_organ_code

    check = check_organ_code(args.organ)
    if check.code is None:
        warn(f"keys generate: {args.organ!r} is not an organ code: {'; '.join(check.warnings)}")
        return EXIT_INVALID
    print(BANNER, file=sys.stderr)
    now = utc_now()
    made = generate(args.out, args.organ, read_password(args.password_file), name=args.name,
                    key_type=args.key_type, days=args.days, force=args.force, now=now)
    if args.json:
        print_json(_generated_json(made, args.password_file, now))
    else:
        _print_generated(made, args.password_file)
    return EXIT_OK


def _generated_json(made: Generated, password_file: Path, now: dt.datetime) -> dict[str, Any]:
    from agent.signing.keys import certificate_summary

    return {"development_only": True, "root_ca": str(made.root_cert),
            "root_ca_created": made.root_created,
            "files": {role: str(path) for role, path in made.files.items()},
            "certificate": certificate_summary(made.signer.cert, now).to_dict(),
            "configuration": _snippet(made, password_file)}


def _snippet(made: Generated, password_file: Path) -> dict[str, Any]:
    return {"signing": {"key_file": str(made.files["pkcs12"].resolve()),
                        "key_password_file": str(password_file.resolve())},
            "verification": {"trust_anchors": [str(made.root_cert.resolve())]}}


def _print_generated(made: Generated, password_file: Path) -> None:
    action = "made" if made.root_created else "reused"
    print(f"Development root CA ({action}): {made.root_cert}")
    for role, path in made.files.items():
        print(f"  {role:<12} {path}")
    snippet = _snippet(made, password_file)
    print("\nIn agent.yaml (development only):")
    print(f"  signing:\n    key_file: {snippet['signing']['key_file']}")
    print(f"    key_password_file: {snippet['signing']['key_password_file']}")
    print(f"  verification:\n    trust_anchors: [{snippet['verification']['trust_anchors'][0]}]")


def run_show(args: argparse.Namespace) -> int:
    from agent.cli._keys_show import show

    return show(args.file, read_password(args.password_file), as_json=args.json)
