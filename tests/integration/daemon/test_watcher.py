"""The pickup thread's file-system notifications (agent.daemon.watcher), on a real inotify.

The agent's claim renames each item out of the outbox. watchdog holds an ``IN_MOVED_FROM`` back
for half a second to pair it, and every later event waits behind it, so documents dropped after a
claim were noticed late (p50 drop-to-accepted 300 ms in ``python -m bench --only latency``; 20 ms
without). The watches leave that event out; arrivals, by rename from elsewhere or within the
folder, are still reported.
"""

from __future__ import annotations

import os
import queue
import sys
from pathlib import Path

import pytest
from watchdog.events import FileSystemEvent, FileSystemEventHandler

from agent.daemon import watcher

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


class Recorder(FileSystemEventHandler):
    def __init__(self) -> None:
        self.events: queue.Queue[FileSystemEvent] = queue.Queue()

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.events.put(event)


def _next_arrival(recorder: Recorder) -> tuple[str, str]:
    """The next event that names something new in the folder: (type, name)."""
    while True:
        event = recorder.events.get(timeout=10)
        if event.event_type in {"created", "moved"}:
            path = event.dest_path if event.event_type == "moved" else event.src_path
            return event.event_type, os.path.basename(os.fsdecode(path))


def test_watches_leave_out_moves_away_and_still_see_every_arrival(tmp_path: Path) -> None:
    outbox, work, staging = (tmp_path / n for n in ("outbox", "work", "staging"))
    for folder in (outbox, work, staging):
        folder.mkdir()
    recorder = Recorder()
    observer = watcher._observer()
    observer.schedule(recorder, str(outbox), recursive=False, event_filter=watcher._EVENTS)
    observer.start()
    try:
        emitters = list(observer.emitters)
        from watchdog.observers.inotify_c import InotifyConstants
        assert emitters and all(
            not e.get_event_mask_from_filter() & InotifyConstants.IN_MOVED_FROM
            and e.get_event_mask_from_filter() & InotifyConstants.IN_MOVED_TO for e in emitters)

        (staging / "doc-1").mkdir()
        (staging / "doc-1").rename(outbox / "doc-1")  # handed over from outside
        assert _next_arrival(recorder) == ("created", "doc-1")
        (outbox / "doc-1").rename(work / "claim-1")  # the agent's claim: not reported
        (staging / "doc-2").mkdir()
        (staging / "doc-2").rename(outbox / "doc-2")
        assert _next_arrival(recorder) == ("created", "doc-2")
        (outbox / ".doc-3.tmp").write_bytes(b"x")  # write-then-rename within the folder
        (outbox / ".doc-3.tmp").rename(outbox / "doc-3.xml")
        seen = {_next_arrival(recorder)[1] for _ in range(2)}
        assert "doc-3.xml" in seen
    finally:
        observer.stop()
        observer.join(10)
    leftovers = []
    while not recorder.events.empty():
        leftovers.append(recorder.events.get_nowait())
    assert not [e for e in leftovers if e.event_type == "deleted"
                and os.fsdecode(e.src_path).endswith("doc-1")]
