"""``lienthong-agent edxml sign``: add an enveloped XML signature to a finished package.

``edxml sign FILE (--key KEY.pem --cert CERT.pem [--chain CHAIN.pem] | --pkcs12 P12)
[--password-file F | --password-env NAME] [--no-subject-name] -o OUT [--json]``

The Signature (XMLDSig, RSA or ECDSA with SHA-256, exclusive C14N, the certificate chain in
KeyInfo) goes in as the last child of ``edXML:edXMLHeader``; nothing else in the file changes.
A package that is already signed is refused. The key's password is read from a file or from an
environment variable *named* on the command line, never from the command line itself, and is
never printed. Exit 0 when OUT was written; 1 when signing failed (nothing written); 2 for usage
errors; 3 when the password file or variable cannot be read.

Mind what the XML signature is worth: the national axis rewrites the envelope, so it does not
survive the axis (AXIS.md §9); the PDF signature does. It serves routes that keep the bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from agent.cli import EXIT_OK, EXIT_USAGE
from agent.errors import ConfigError


def register(sub: Any) -> None:
    """Add ``sign`` under ``edxml``."""
    p = sub.add_parser(
        "sign",
        help="add an XML signature (XMLDSig) to a package",
        description="Sign an edXML package: the Signature becomes the last child of "
        "edXMLHeader. The key's password comes from --password-file or --password-env.",
    )
    p.add_argument("file", type=Path, help="the unsigned .edxml package")
    key = p.add_mutually_exclusive_group(required=True)
    key.add_argument("--key", type=Path, help="PEM private key (needs --cert)")
    key.add_argument("--pkcs12", type=Path, help="PKCS#12 (.p12/.pfx): key, certificate, CAs")
    p.add_argument("--cert", type=Path, help="PEM certificate of --key")
    p.add_argument("--chain", type=Path, help="PEM issuing CA certificates (nearest first)")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument("--password-file", type=Path, help="file holding the key's password")
    secret.add_argument("--password-env", metavar="NAME", help="environment variable holding it")
    p.add_argument(
        "--no-subject-name", action="store_true", help="leave X509SubjectName out of KeyInfo"
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="the signed package to write")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_sign)


def read_password(args: argparse.Namespace) -> bytes | None:
    """The key password from ``--password-file`` (one trailing newline dropped) or the named
    environment variable; ``None`` when neither is given."""
    if args.password_file is not None:
        try:
            data: bytes = args.password_file.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"cannot read the password file {args.password_file}: {exc.strerror or exc}"
            ) from exc
        return data[:-2] if data.endswith(b"\r\n") else data.removesuffix(b"\n")
    if args.password_env is not None:
        value = os.environ.get(args.password_env)
        if value is None:
            raise ConfigError(f"the environment variable {args.password_env} is not set")
        return value.encode("utf-8")
    return None


def _identity(args: argparse.Namespace) -> Any:
    from agent.signing.keys import SigningIdentity

    password = read_password(args)
    if args.pkcs12 is not None:
        return SigningIdentity.from_pkcs12_file(args.pkcs12, password)
    return SigningIdentity.from_pem_files(args.key, args.cert, args.chain, password=password)


def _sign(args: argparse.Namespace) -> int:
    from agent.signing.xmldsig import sign_file

    if args.key is not None and args.cert is None:
        print("lienthong-agent edxml sign: --key needs --cert", file=sys.stderr)
        return EXIT_USAGE
    identity = _identity(args)
    now = dt.datetime.now(dt.UTC)
    signature = sign_file(
        args.file, args.output, identity, subject_name=not args.no_subject_name, now=now
    )
    facts = {
        "output": str(args.output),
        "signer": signature.signer_subject,
        "signature_method": signature.signature_method,
        "digest_sha256": signature.digest_b64,
    }
    if args.json:
        print(json.dumps(facts, ensure_ascii=False, indent=2))
    else:
        print(f"signed: {args.output}")
        print(f"  signer: {signature.signer_subject}")
        print(f"  method: {signature.signature_method}")
    return EXIT_OK
