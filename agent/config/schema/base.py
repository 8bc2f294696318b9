"""Building blocks shared by every section of the configuration schema.

Each section is a frozen pydantic model that forbids unknown keys. Fields are declared with
:func:`setting`, which requires a description (it becomes the comment above the key in the generated
example) and can carry an example value for keys that have no default.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

_MISSING: Final = object()

#: The systemd credential naming rule: a plain file name, no path separator.
CREDENTIAL_NAME_PATTERN: Final = r"^[A-Za-z0-9_.@-]{1,255}$"


class Section(BaseModel):
    """Base of every configuration section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)

    @model_validator(mode="before")
    @classmethod
    def _empty_section(cls, data: Any) -> Any:
        """A section whose keys are all commented out reads as null: take it as empty."""
        return {} if data is None else data


def setting(
    default: Any = _MISSING,
    *,
    description: str,
    example: Any = _MISSING,
    example_active: bool = False,
    must_exist: bool = False,
    **constraints: Any,
) -> Any:
    """Declare a configuration key.

    ``example`` is shown in the generated example file: commented out, or as a live value when
    ``example_active`` is true (required keys always show theirs). ``must_exist`` marks a path that
    ``config validate --check-files`` and the daemon's start-up check must find readable.
    """
    extra: dict[str, Any] = {}
    if example is not _MISSING:
        extra["example"] = example
        extra["example_active"] = example_active
    if must_exist:
        extra["must_exist"] = True
    if default is _MISSING:
        return Field(description=description, json_schema_extra=extra or None, **constraints)
    return Field(default, description=description, json_schema_extra=extra or None, **constraints)


def key_error(key: str, message: str) -> PydanticCustomError:
    """An error that the loader reports at ``<section path>.<key>`` instead of the section."""
    return PydanticCustomError("config_key", "{message}", {"key": key, "message": message})


def key_errors(problems: list[tuple[str, str]]) -> PydanticCustomError:
    """Several problems found by one validator, each reported at its own key."""
    joined = "; ".join(f"{key}: {message}" for key, message in problems)
    return PydanticCustomError(
        "config_keys", "{message}", {"problems": problems, "message": joined}
    )


def _relative_to_config(value: Path, info: ValidationInfo) -> Path:
    """Resolve a relative path against the directory of the configuration file."""
    base = (info.context or {}).get("base_dir")
    if value.is_absolute() or base is None:
        return value
    return Path(base) / value


def _credential_name(value: str) -> str:
    if value in {".", ".."} or not re.fullmatch(CREDENTIAL_NAME_PATTERN, value):
        raise PydanticCustomError(
            "credential_name",
            "a systemd credential name is a plain file name (letters, digits, '_', '.', '@', '-'),"
            " as in LoadCredential=NAME:/path",
        )
    return value


def matching(pattern: str, message: str) -> AfterValidator:
    """A validator requiring a full match of ``pattern``, failing with an operator's message."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise PydanticCustomError("config_pattern", message)
        return value

    return AfterValidator(check)


#: A file or directory path; a relative one is relative to the configuration file's directory.
ConfigPath = Annotated[Path, AfterValidator(_relative_to_config)]
#: The name of a systemd credential, read from ``$CREDENTIALS_DIRECTORY/<name>``.
CredentialName = Annotated[str, AfterValidator(_credential_name)]
#: A duration in seconds, strictly positive.
Seconds = Annotated[float, Field(gt=0)]
#: A non-empty piece of text.
Text = Annotated[str, Field(min_length=1)]

#: The syntax of a mã định danh (AXIS.md §8.1), ``LLL.KK.JJ.XNN``.
ORGAN_CODE_PATTERN: Final = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"


class SecretRef(BaseModel):
    """Where a secret lives: a file, or a systemd credential. Never the secret itself."""

    model_config = ConfigDict(frozen=True)

    file: Path | None = None
    credential: str | None = None

    def describe(self) -> str:
        """Say where the secret is, for messages; never what it is."""
        if self.credential is not None:
            return f"systemd credential '{self.credential}'"
        return f"file {self.file}"


def secret_ref(section: BaseModel, prefix: str, *, required: bool, what: str) -> SecretRef | None:
    """Read the ``<prefix>_file`` / ``<prefix>_credential`` pair of a section.

    Raises a key error when both are set, or when neither is set and the secret is required.
    """
    file = getattr(section, f"{prefix}_file")
    credential = getattr(section, f"{prefix}_credential")
    if file is not None and credential is not None:
        raise key_error(
            f"{prefix}_credential",
            f"set either '{prefix}_file' or '{prefix}_credential' for {what}, not both",
        )
    if file is None and credential is None:
        if required:
            raise key_error(
                f"{prefix}_credential",
                f"{what} is required: name a systemd credential with '{prefix}_credential'"
                f" (LoadCredential= in the unit) or a file with '{prefix}_file'",
            )
        return None
    return SecretRef(file=file, credential=credential)
