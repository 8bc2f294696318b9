"""What the operator commands print: aligned tables, times with their age, stable JSON.

Human output shows times in the machine's local time zone with their age ("08:30:05, 4 min
ago"); ``--json`` output shows ISO 8601 times with their offset and ages in seconds, and every
JSON document starts with ``"format": 1`` so scripts can tell when its shape changes.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

JSON_FORMAT = 1
_ELLIPSIS = "…"


def print_json(data: Mapping[str, Any]) -> None:
    """Print ``data`` as indented UTF-8 JSON (Vietnamese stays readable) with ``format`` first."""
    document = {"format": JSON_FORMAT, **data}
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def age_seconds(moment: dt.datetime | None, now: dt.datetime) -> float | None:
    return None if moment is None else round((now - moment).total_seconds(), 3)


def duration(seconds: float) -> str:
    """``75`` -> ``1 min 15 s``; ``90000`` -> ``1 d 1 h``: two units at most."""
    whole = int(abs(seconds))
    parts = [(whole // 86400, "d"), (whole % 86400 // 3600, "h"), (whole % 3600 // 60, "min"),
             (whole % 60, "s")]
    shown = [f"{value} {unit}" for value, unit in parts if value]
    return " ".join(shown[:2]) or "0 s"


def local(moment: dt.datetime | None) -> str:
    """A time in the machine's time zone, to the second; ``-`` for none."""
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def when(moment: dt.datetime | None, now: dt.datetime) -> str:
    """``2024-11-05 08:30:05 (4 min ago)``; a future time says ``in 4 min``."""
    if moment is None:
        return "-"
    seconds = (now - moment).total_seconds()
    relative = f"{duration(seconds)} ago" if seconds >= 0 else f"in {duration(seconds)}"
    return f"{local(moment)} ({relative})"


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide East Asian characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in unicodedata.normalize("NFC", text) if not unicodedata.combining(c))


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` columns with an ellipsis, on one line."""
    flat = " ".join(text.split())
    if width(flat) <= limit:
        return flat
    while flat and width(flat) > limit - 1:
        flat = flat[:-1]
    return flat + _ELLIPSIS


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows under their headers, columns aligned, two spaces apart; numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([width(h), *(width(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(isinstance(r[i], int) for r in rows) for i in range(len(headers))]
    lines = [_line(headers, widths, numeric), *(_line(r, widths, numeric) for r in cells)]
    return "\n".join(lines)


def _cell(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


def _line(values: Sequence[str], widths: Sequence[int], numeric: Sequence[bool]) -> str:
    padded = []
    for value, size, right in zip(values, widths, numeric, strict=True):
        gap = " " * (size - width(value))
        padded.append(gap + value if right else value + gap)
    return "  ".join(padded).rstrip()


def error_text(error: Mapping[str, Any] | None) -> str:
    """One line for a stored error (``LienthongError.to_dict()``): message, then the hint."""
    if not error:
        return ""
    message = str(error.get("message", error.get("code", "error")))
    hint = error.get("hint")
    return f"{message} ({hint})" if hint else message


def warn(message: str) -> None:
    print(f"lienthong-agent: {message}", file=sys.stderr)
