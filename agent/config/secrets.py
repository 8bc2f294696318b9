"""Reading secrets by reference: a systemd credential name or a file path.

The configuration names where a secret is (``*_credential`` or ``*_file``), never the secret. This
module reads it into a :class:`Secret`, whose ``repr`` and ``str`` hide the value, which refuses to
be pickled, and which compares in constant time. Error messages name the reference, never content.
An empty secret is an error, except for a key password, where an empty file means "no password".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from agent.config.paths import credentials_directory
from agent.config.schema.base import SecretRef
from agent.core import xroad
from agent.errors import ConfigError


class Secret(xroad.Secret):
    """A secret value (the core's :class:`agent.core.xroad.Secret`, so the axis client takes it as
    is). Call :meth:`reveal` or :meth:`reveal_text` at the point of use only."""

    __slots__ = ()

    def reveal_text(self) -> str:
        """The secret as UTF-8 text."""
        try:
            return self.reveal().decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError("a secret expected as text is not valid UTF-8") from None

    def __format__(self, spec: str) -> str:
        return repr(self)


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


def _read(ref: SecretRef, environ: Mapping[str, str] | None, text: bool) -> bytes:
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
    return value.removesuffix(b"\n").removesuffix(b"\r") if text else value


def read_secret(
    ref: SecretRef, environ: Mapping[str, str] | None = None, *, text: bool = True
) -> Secret:
    """Read a secret. ``text`` secrets (the axis secret) lose one trailing newline; binary ones
    (keys) are returned byte for byte. An empty secret is a :class:`ConfigError`."""
    value = _read(ref, environ, text)
    if not value:
        raise ConfigError(f"the {ref.describe()} is empty", hint=_hint(ref))
    return Secret(value)


def read_password(
    ref: SecretRef | None, environ: Mapping[str, str] | None = None
) -> Secret | None:
    """Read a key password: None when there is no reference or the file is empty."""
    if ref is None:
        return None
    value = _read(ref, environ, text=True)
    return Secret(value) if value else None


def _hint(ref: SecretRef) -> str:
    if ref.credential is not None:
        return f"check LoadCredential={ref.credential}:... in the unit and that its file exists"
    return "create the file, readable only by the service user"
