"""``lienthong-agent config``: validate, generate and show the configuration."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from agent.cli import EXIT_CONFIG, EXIT_INVALID, EXIT_OK

_DEFAULT = "/etc/lienthong-agent/agent.yaml"


def register(subparsers: Any) -> None:
    """Add ``config`` and its subcommands to the top-level parser."""
    parser = subparsers.add_parser(
        "config",
        help="validate, generate or show the YAML configuration",
        description="Work with the YAML configuration (default file: " + _DEFAULT + ").",
    )
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    _register_validate(sub)
    _register_generate(sub)
    _register_show(sub)


def _register_validate(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="check a configuration file and print every problem with its path",
        description="Check a configuration file against the schema and print every problem as"
        " \"At 'path.to.key': message\". Exit 0 when valid, 3 when not.",
    )
    p.add_argument("file", nargs="?", default=_DEFAULT, help=f"the file (default {_DEFAULT})")
    p.add_argument(
        "--check-files",
        action="store_true",
        help="also check that referenced files (keys, certificates, secret files) exist and are"
        " readable, and that credentials exist in $CREDENTIALS_DIRECTORY or --credentials-dir",
    )
    p.add_argument(
        "--credentials-dir",
        metavar="DIR",
        help="where to look for '*_credential' files with --check-files (the directory the"
        " unit's LoadCredential= lines point to, e.g. /etc/lienthong-agent/credentials)",
    )
    p.add_argument("--no-env", action="store_true", help="ignore LIENTHONG_* overrides")
    p.set_defaults(func=_validate)


def _register_generate(sub: Any) -> None:
    p = sub.add_parser(
        "generate",
        help="write the commented example configuration",
        description="Write the example configuration generated from the schema, every key with"
        " its description. The repository's copy is made with:"
        " lienthong-agent config generate -o config/agent.example.yaml --force",
    )
    p.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=_generate)


def _register_show(sub: Any) -> None:
    p = sub.add_parser(
        "show",
        help="print the effective configuration (defaults and overrides applied)",
        description="Print the configuration as the agent sees it: defaults filled in and"
        " LIENTHONG_* overrides applied. It holds secret references, never secrets.",
    )
    p.add_argument("file", nargs="?", default=_DEFAULT, help=f"the file (default {_DEFAULT})")
    p.add_argument("--no-env", action="store_true", help="ignore LIENTHONG_* overrides")
    p.set_defaults(func=_show)


def _environ(args: argparse.Namespace) -> dict[str, str]:
    from agent.config import ENV_PREFIX

    env = dict(os.environ)
    if args.no_env:
        env = {k: v for k, v in env.items() if not k.upper().startswith(ENV_PREFIX)}
    if getattr(args, "credentials_dir", None):
        env["CREDENTIALS_DIRECTORY"] = args.credentials_dir
    return env


def _validate(args: argparse.Namespace) -> int:
    from agent.config import InvalidConfigError, check_files, credentials_directory, load_config

    env = _environ(args)
    try:
        config = load_config(args.file, environ=env)
    except InvalidConfigError as exc:
        _print_problems(exc)
        return EXIT_CONFIG
    if args.check_files:
        problems = check_files(config, env)
        if problems:
            _print_problems(InvalidConfigError(args.file, problems))
            return EXIT_CONFIG
        if credentials_directory(env) is None:
            print(
                "note: credentials not checked ($CREDENTIALS_DIRECTORY is not set;"
                " use --credentials-dir)",
                file=sys.stderr,
            )
    print(f"{args.file}: valid")
    return EXIT_OK


def _print_problems(exc: Any) -> None:
    count = len(exc.problems)
    print(f"{exc.source}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)


def _generate(args: argparse.Namespace) -> int:
    from agent.config import generate_example

    text = generate_example()
    if args.output == "-":
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.output)
    if target.exists() and not args.force:
        print(f"lienthong-agent: {target} exists; add --force to overwrite it", file=sys.stderr)
        return EXIT_INVALID
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    import yaml

    from agent.config import InvalidConfigError, load_config

    try:
        config = load_config(args.file, environ=_environ(args))
    except InvalidConfigError as exc:
        _print_problems(exc)
        return EXIT_CONFIG
    data = config.model_dump(mode="json")
    sys.stdout.write(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return EXIT_OK
