"""Progress bars for long CLI operations, drawn on standard error only when it is a terminal.

Dependency-free on purpose: one bar, one line, redrawn in place with ``\\r`` at most ten times a
second. When standard error is not a terminal (a pipe, a log file, journald, a test) nothing at
all is written, so scripts and logs never see control characters. ``TERM=dumb`` also silences it.

::

    with Progress("uploading", total=size, unit="bytes") as bar:
        for chunk in chunks:
            send(chunk)
            bar.advance(len(chunk))

    with Progress("waiting for delivery") as bar:   # no total: a spinner with the elapsed time
        while not done():
            bar.tick()
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

_REDRAW_SECONDS = 0.1
_SPINNER = "|/-\\"
_BAR_WIDTH = 24


def draws_on(stream: TextIO) -> bool:
    """Whether a progress bar would be drawn on ``stream``: a terminal, and not ``TERM=dumb``."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM", "") != "dumb"


def human_size(count: float) -> str:
    """``1536`` -> ``1.5 KiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"  # pragma: no cover - the loop always returns


class Progress:
    """One progress line on ``stream`` (default: standard error).

    ``total`` None draws a spinner with the elapsed time instead of a bar. ``unit="bytes"``
    shows sizes in KiB/MiB. ``enabled`` None means "when ``stream`` is a terminal".
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.unit = unit
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = draws_on(self._stream) if enabled is None else enabled
        self._clock = clock
        self._started = clock()
        self._drawn_at: float | None = None
        self._frames = 0
        self._width = 0

    def __enter__(self) -> Progress:
        self.draw(force=True)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def advance(self, amount: int = 1) -> None:
        """``amount`` more units are done."""
        self.update(self.done + amount)

    def update(self, done: int, label: str | None = None) -> None:
        """``done`` units are done (and the label changes, if given)."""
        self.done = done
        if label is not None:
            self.label = label
        self.draw()

    def tick(self, label: str | None = None) -> None:
        """Redraw without progress (a spinner frame while waiting)."""
        if label is not None:
            self.label = label
        self.draw()

    def close(self) -> None:
        """Erase the line, so the next message starts on a clean line."""
        if self.enabled and self._drawn_at is not None:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._drawn_at = None

    def draw(self, *, force: bool = False) -> None:
        """Redraw the line, at most every 0.1 s unless ``force``."""
        if not self.enabled:
            return
        now = self._clock()
        if not force and self._drawn_at is not None and now - self._drawn_at < _REDRAW_SECONDS:
            return
        self._drawn_at = now
        self._frames += 1
        columns = shutil.get_terminal_size((80, 24)).columns
        line = self.render(now)[: max(columns - 1, 10)]
        padding = " " * max(self._width - len(line), 0)
        self._width = len(line)
        self._stream.write("\r" + line + padding)
        self._stream.flush()

    def render(self, now: float) -> str:
        """The text of the line at monotonic time ``now`` (pure; the tests read it)."""
        elapsed = f"{now - self._started:.1f} s"
        if not self.total:
            return f"{self.label} {_SPINNER[self._frames % len(_SPINNER)]} {elapsed}"
        share = min(max(self.done / self.total, 0.0), 1.0)
        filled = int(share * _BAR_WIDTH)
        bar = "=" * filled + (">" if filled < _BAR_WIDTH else "") + " " * (_BAR_WIDTH - filled - 1)
        return f"{self.label} [{bar}] {share:4.0%} {self._amount()} {elapsed}"

    def _amount(self) -> str:
        if self.unit == "bytes":
            return f"{human_size(self.done)}/{human_size(self.total or 0)}"
        suffix = f" {self.unit}" if self.unit else ""
        return f"{self.done}/{self.total}{suffix}"
