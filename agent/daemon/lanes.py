"""Worker threads: one lane per kind of item, fed by journal claims, woken by events.

A lane has a feeder thread and N workers. The feeder claims due items from the journal (a claim
is a lease: one worker per item) and queues their ids; each worker runs an item's steps until it
waits or settles (:meth:`agent.services.AgentServices.run`). The feeder sleeps on a condition:

* :meth:`Lane.wake` with no time (a pickup registered an item, a poll listed some, a receipt was
  queued) claims at once;
* :meth:`Lane.wake` with a time (a retry scheduled at ``due_at``) sets a timer;
* a sweep every ``sweep_seconds`` catches items that became due without a wake (retries of an
  earlier run); it costs one indexed query.

So an idle agent burns no CPU, and a new item starts within milliseconds. On stop, the feeder
claims nothing more and each worker stops between two steps: the item's state is durable after
every step, so whatever is left is resumed by the next start.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Mapping

from agent.core.lifecycle import Kind
from agent.errors import LienthongError
from agent.observability import get_logger
from agent.services import AgentServices

log = get_logger(__name__)
_STOP = -1


class Lane:
    def __init__(
        self, kind: Kind, services: AgentServices, workers: int, *,
        clock: Callable[[], dt.datetime], sweep_seconds: float = 5.0,
    ) -> None:
        self.kind = kind
        self._services = services
        self._clock = clock
        self._sweep = sweep_seconds
        self._capacity = workers * 2
        self._cond = threading.Condition()
        self._queue: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._queued = 0
        self._busy = 0
        self._pending = True  # claim at start: whatever a crash left is due now
        self._more = False
        self._timer: dt.datetime | None = None
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._feed, name=f"{kind.value}-feeder",
                                          daemon=True)]
        self._threads += [threading.Thread(target=self._work, name=f"{kind.value}-{i}",
                                           daemon=True) for i in range(workers)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wake(self, at: dt.datetime | None = None) -> None:
        """An item of this kind is due now (``at`` None) or will be at ``at``."""
        with self._cond:
            if at is None or at <= self._clock():
                self._pending = True
            elif self._timer is None or at < self._timer:
                self._timer = at
            self._cond.notify_all()

    def stop(self) -> None:
        """Claim nothing more; workers stop after their current step."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        for _ in self._threads[1:]:
            self._queue.put(_STOP)

    def join(self, deadline: float) -> bool:
        """Wait for the threads until the monotonic ``deadline``; True if all ended."""
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    @property
    def alive(self) -> bool:
        return self._stopping.is_set() or all(t.is_alive() for t in self._threads)

    @property
    def busy(self) -> int:
        return self._busy + self._queued

    # --- feeder -------------------------------------------------------------------------------

    def _feed(self) -> None:
        while not self._stopping.is_set():
            free = self._wait_for_work()
            if free <= 0 or self._stopping.is_set():
                continue
            try:
                items = self._services.claim(self.kind, free)
            except LienthongError as exc:
                log.error("cannot claim work from the journal; retrying", error=exc.message,
                          kind=self.kind.value)
                self._stopping.wait(1.0)
                continue
            with self._cond:
                self._more = len(items) == free
                self._queued += len(items)
            for item in items:
                self._queue.put(item.id)

    def _wait_for_work(self) -> int:
        with self._cond:
            while not self._stopping.is_set():
                free = self._capacity - self._queued - self._busy
                worth = free >= self._capacity // 2 or self._queued == 0  # claim in batches
                if free > 0 and worth and (self._pending or self._more or self._timer_due()):
                    self._pending = False
                    return free
                if not self._cond.wait(self._timeout()):
                    self._pending = True  # the periodic sweep
            return 0

    def _timer_due(self) -> bool:
        if self._timer is not None and self._timer <= self._clock():
            self._timer = None
            return True
        return False

    def _timeout(self) -> float:
        if self._timer is None:
            return self._sweep
        left = (self._timer - self._clock()).total_seconds()
        return min(max(left, 0.0), self._sweep)

    # --- workers ------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            item_id = self._queue.get()
            if item_id == _STOP:
                return
            with self._cond:
                self._queued -= 1
                self._busy += 1
            try:
                if not self._stopping.is_set():
                    self._services.run(self.kind, item_id, self._stopping.is_set)
            except Exception:  # noqa: BLE001 - a worker survives any bug; the item waits
                log.exception("worker error", kind=self.kind.value, item=item_id)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()


class Lanes:
    """The four lanes, and the ``wake`` callback the services use."""

    def __init__(self, services: AgentServices, workers: Mapping[Kind, int],
                 clock: Callable[[], dt.datetime], sweep_seconds: float = 5.0) -> None:
        self.by_kind = {kind: Lane(kind, services, count, clock=clock,
                                   sweep_seconds=sweep_seconds)
                        for kind, count in workers.items()}

    def wake(self, kind: Kind, at: dt.datetime | None = None) -> None:
        lane = self.by_kind.get(kind)
        if lane is not None:
            lane.wake(at)

    def start(self) -> None:
        for lane in self.by_kind.values():
            lane.start()

    def stop(self) -> None:
        for lane in self.by_kind.values():
            lane.stop()

    def join(self, deadline: float) -> bool:
        return all([lane.join(deadline) for lane in self.by_kind.values()])

    @property
    def alive(self) -> bool:
        return all(lane.alive for lane in self.by_kind.values())

    @property
    def busy(self) -> int:
        return sum(lane.busy for lane in self.by_kind.values())
