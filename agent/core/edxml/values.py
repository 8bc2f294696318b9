"""Wire formats of edXML values (AXIS.md §3.5 "Value formats") and text escaping.

* date ``yyyy/MM/dd`` (``yyyy-MM-dd`` is accepted on input);
* timestamp ``yyyy/MM/dd HH:mm:ss``, Vietnam local time, no zone (a ``T`` separator, ``-`` in
  the date and a fraction of a second are accepted on input; seconds precision: fractions are
  dropped both ways);
* booleans ``true`` / ``false`` (any case and ``1`` / ``0`` accepted on input);
* decimal integers (at most 18 digits: larger values are not counts or codes).

Empty (or blank) typed values parse as ``None``: the axis and some senders write empty elements.
"""

from __future__ import annotations

import datetime as dt
import enum
import re

from agent.errors import InvalidValueError

_INVALID_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DATE = re.compile(r"(\d{4})[/-](\d{2})[/-](\d{2})")
_TIMESTAMP = re.compile(r"(\d{4})[/-](\d{2})[/-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?")
_INT = re.compile(r"[+-]?[0-9]{1,18}")
_HINT = "the sender's software wrote a value outside the edXML formats (AXIS.md §3.5)"


def format_date(value: dt.date) -> str:
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def format_timestamp(value: dt.datetime) -> str:
    return f"{format_date(value)} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"


def format_scalar(value: object, path: str) -> str:
    """The wire text of a model value. Raises :class:`InvalidValueError` naming ``path``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise InvalidValueError(
                f"{path}: the timestamp {value.isoformat()} carries a time zone",
                hint="edXML timestamps are naive Vietnam local time (UTC+7); convert first.",
            )
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, str):
        check_text(value, path)
        return value
    raise InvalidValueError(f"{path}: {type(value).__name__} is not an edXML value")


def check_text(value: str, path: str) -> None:
    """Refuse characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE)."""
    bad = _INVALID_XML_CHAR.search(value)
    if bad:
        raise InvalidValueError(
            f"{path} contains the character U+{ord(bad.group()):04X} at position {bad.start()}, "
            "which XML cannot carry",
            hint="remove control characters from this field in the document system.",
        )


def escape_text(value: str) -> str:
    """Escape element content. ``\\r`` becomes ``&#13;`` so it survives XML line-end handling."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def parse_scalar(value_type: type, text: str, path: str) -> object:
    """Convert wire ``text`` to ``value_type``; typed blanks are ``None``; ``str`` is verbatim."""
    if value_type is str:
        return text
    stripped = text.strip()
    if not stripped:
        return None
    if value_type is bool:
        return _parse_bool(stripped, path)
    if value_type is dt.datetime:
        return _parse_timestamp(stripped, path)
    if value_type is dt.date:
        return _parse_date(stripped, path)
    number = _parse_int(stripped, path)
    if issubclass(value_type, enum.IntEnum):
        return _parse_enum(value_type, number, path)
    return number


def _show(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _parse_bool(text: str, path: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise InvalidValueError(f"{path}: {_show(text)} is not true or false", hint=_HINT)


def _parse_int(text: str, path: str) -> int:
    if not _INT.fullmatch(text):
        raise InvalidValueError(f"{path}: {_show(text)} is not a decimal integer", hint=_HINT)
    return int(text)


def _parse_enum(enum_type: type[enum.IntEnum], number: int, path: str) -> enum.IntEnum:
    try:
        return enum_type(number)
    except ValueError:
        allowed = ", ".join(f"{m.value} ({m.name.lower()})" for m in enum_type)
        raise InvalidValueError(
            f"{path}: {number} is not a known value (allowed: {allowed})", hint=_HINT
        ) from None


def _parse_date(text: str, path: str) -> dt.date:
    match = _DATE.fullmatch(text)
    try:
        if match:
            return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        pass
    raise InvalidValueError(f"{path}: {_show(text)} is not a date yyyy/MM/dd", hint=_HINT)


def _parse_timestamp(text: str, path: str) -> dt.datetime:
    match = _TIMESTAMP.fullmatch(text)
    try:
        if match:
            y, mo, d, h, mi, s = (int(g) for g in match.groups())
            return dt.datetime(y, mo, d, h, mi, s)  # noqa: DTZ001 - naive local time on purpose
    except ValueError:
        pass
    raise InvalidValueError(
        f"{path}: {_show(text)} is not a timestamp yyyy/MM/dd HH:mm:ss", hint=_HINT
    )
