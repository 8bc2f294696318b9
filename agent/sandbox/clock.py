"""Time and ids as the sandbox shows them: Vietnam local time, 24-hex ids like the axis's.

The axis writes times in Vietnam local time without a zone (AXIS.md §3.5); the sandbox does the
same whatever the machine's time zone is. The format of list time fields is unknown (§14), so it is
a setting (``--time-format``, strftime syntax).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
DEFAULT_TIME_FORMAT = "%Y/%m/%d %H:%M:%S"


class Clock:
    """Wall-clock readings in Vietnam local time."""

    def __init__(self, time_format: str = DEFAULT_TIME_FORMAT) -> None:
        self.time_format = time_format

    def now(self) -> dt.datetime:
        return dt.datetime.now(VIETNAM)

    def stamp(self) -> str:
        """A time field of the API (``created_time``, ``sentTime``...)."""
        return self.now().strftime(self.time_format)

    def iso(self) -> str:
        """A precise ISO 8601 time for the ledger."""
        return self.now().isoformat(timespec="milliseconds")


def new_doc_id() -> str:
    """A fresh 24-hex id (``68edb8c8c2dcb14db773ce44``): 4 bytes of time, 8 random bytes."""
    return f"{int(time.time()) & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"
