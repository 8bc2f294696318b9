"""Reading secrets by reference: a systemd credential name or a file path.

The configuration names where a secret is (``*_credential`` or ``*_file``), never the secret. This
module reads it into a :class:`Secret`, whose ``repr`` and ``str`` hide the value, which refuses to
be pickled, and which compares in constant time. Error messages name the reference, never content.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from agent.config.paths import credentials_directory
from agent.config.schema.base import SecretRef
from agent.errors import ConfigError

_MASK = "********"


class Secret:
    """A secret value. Call :meth:`reveal` or :meth:`reveal_text` at the point of use only."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = bytes(value)

    def reveal(self) -> bytes:
        """The secret bytes."""
        return self._value

    def reveal_text(self) -> str:
        """The secret as UTF-8 text."""
        try:
            return self._value.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError("a secret expected as text is not valid UTF-8") from None

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


def secret_path(ref: SecretRef, environ: Mapping[str, str] | None = None) -> Path:
    """The file a reference points to; a credential is looked up in ``$CREDENTIALS_DIRECTORY``."""
    if ref.credential is None:
        if ref.file is None:
            raise ConfigError("a secret reference names neither a file nor a credential")
        return ref.file
    directory = credentials_directory(environ)
    if directory is None:
        raise ConfigError(
            f"the {ref.describe()} cannot be read: $CREDENTIALS_DIRECTORY is not set",
            hint=f"run under systemd with LoadCredential={ref.credential}:/path/to/file, or set"
            " the matching '*_file' key instead of '*_credential' outside systemd",
        )
    return directory / ref.credential


def read_secret(
    ref: SecretRef, environ: Mapping[str, str] | None = None, *, text: bool = True
) -> Secret:
    """Read a secret. ``text`` secrets (passwords, the axis secret) lose one trailing newline;
    binary ones (keys) are returned byte for byte."""
    path = secret_path(ref, environ)
    try:
        value = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"the {ref.describe()} cannot be read: {path} does not exist", hint=_hint(ref)
        ) from None
    except PermissionError:
        raise ConfigError(
            f"the {ref.describe()} cannot be read: permission denied on {path}",
            hint="make it readable by the service user only (chmod 0400, chown lienthong)",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"the {ref.describe()} cannot be read: {exc.strerror or type(exc).__name__}"
        ) from None
    if text:
        value = value.removesuffix(b"\n").removesuffix(b"\r")
    return Secret(value)


def _hint(ref: SecretRef) -> str:
    if ref.credential is not None:
        return f"check LoadCredential={ref.credential}:... in the unit and that its file exists"
    return "create the file, readable only by the service user"
