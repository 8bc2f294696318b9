"""The progress helper draws on a terminal only, throttles its redraws and erases its line."""

from __future__ import annotations

import io

import pytest

from agent.cli.progress import Progress, draws_on, human_size


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_written_when_stderr_is_not_a_terminal() -> None:
    """A pipe or a log file sees no control characters at all."""
    stream = io.StringIO()
    with Progress("uploading", total=10, stream=stream) as bar:
        for _ in range(10):
            bar.advance()
    assert stream.getvalue() == ""


def test_a_bar_is_drawn_on_a_terminal_and_erased_at_the_end(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal the line is redrawn in place with the share done, then blanked."""
    monkeypatch.setenv("TERM", "xterm")
    stream, clock = FakeTerminal(), Clock()
    with Progress("sending", total=4, stream=stream, clock=clock) as bar:
        clock.now += 1
        bar.update(2)
        shown = stream.getvalue()
    assert "\rsending [" in shown and " 50% 2/4 1.0 s" in shown
    assert stream.getvalue().endswith("\r")
    assert stream.getvalue()[len(shown):].strip() == ""


def test_redraws_are_throttled_to_ten_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """A thousand updates within 0.1 s draw once (plus the first draw)."""
    monkeypatch.setenv("TERM", "xterm")
    stream, clock = FakeTerminal(), Clock()
    bar = Progress("x", total=1000, stream=stream, clock=clock).__enter__()
    for _ in range(1000):
        bar.advance()
    clock.now += 0.2
    bar.advance(0)
    assert stream.getvalue().count("\r") == 2


def test_the_bar_text() -> None:
    """Half done: half the bar, 50 %, sizes in KiB for bytes; no total: a spinner."""
    clock = Clock()
    bar = Progress("upload", total=4096, unit="bytes", enabled=False, clock=clock)
    bar.done = 2048
    assert bar.render(101.5) == "upload [============>           ]  50% 2.0 KiB/4.0 KiB 1.5 s"
    assert Progress("waiting", enabled=False, clock=clock).render(102.0) == "waiting | 2.0 s"
    assert human_size(512) == "512 B" and human_size(3 * 1024 ** 3) == "3.0 GiB"


def test_a_dumb_terminal_gets_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    """TERM=dumb (Emacs shells, some CI consoles) silences the bar."""
    monkeypatch.setenv("TERM", "dumb")
    assert not draws_on(FakeTerminal())
    monkeypatch.setenv("TERM", "xterm-256color")
    assert draws_on(FakeTerminal()) and not draws_on(io.StringIO())
