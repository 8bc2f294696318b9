"""The main loop: flags from signals, ticks, a graceful stop with a deadline (uvicorn's server.py).

::

    start()      recovery -> metrics endpoint -> lanes, pickup (start-up scan), scheduler (polls)
                 -> READY=1
    loop         sleep in select() on a self-pipe until a signal or the next tick (1 s): beat the
                 heartbeat, WATCHDOG=1 when it is due and the liveness checks pass
    SIGTERM/INT  -> STOPPING=1; stop picking up and polling; workers finish their current step;
                 wait at most shutdown.deadline_seconds; exit 0 (whatever is still running is at
                 its last durable step and resumes at the next start). A second SIGINT exits now.
    SIGHUP       rescan the folders and poll the axis now (the configuration is not reloaded)

Signal handlers only set flags; ``signal.set_wakeup_fd`` writes to a socket the loop selects on,
so a signal interrupts the sleep at once and no lock is ever taken inside a handler.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import sys
import time
from collections.abc import Mapping
from types import FrameType

from agent.core.lifecycle import Kind
from agent.daemon.lanes import Lanes
from agent.daemon.schedule import Schedule
from agent.daemon.status import StatusReporter
from agent.daemon.watcher import PickupThread
from agent.daemon.wiring import Agent
from agent.errors import ConfigError, StorageError
from agent.observability import ObservabilityServer, SystemdNotifier, get_logger, watchdog_interval

log = get_logger(__name__)
TICK_SECONDS = 1.0
HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def lane_workers(agent: Agent) -> dict[Kind, int]:
    """Threads per lane: uploads at ``upload.concurrency``, fetches alike, receipts 2 each."""
    uploads = agent.config.upload.concurrency
    return {Kind.OUTBOUND: uploads, Kind.INBOUND: uploads, Kind.RECEIPT_OUT: 2,
            Kind.RECEIPT_IN: 2}


class Daemon:
    def __init__(self, agent: Agent, notifier: SystemdNotifier,
                 environ: Mapping[str, str] | None = None) -> None:
        self.agent = agent
        self.notifier = notifier
        ctx = agent.ctx
        self.lanes = Lanes(agent.services, lane_workers(agent), ctx.clock)
        ctx.wake = self.lanes.wake
        self.pickup = PickupThread(agent.services, ctx.clock)
        self.status = StatusReporter(agent.services, agent.metrics, agent.health, notifier,
                                     self._components_alive)
        self.schedule = Schedule(agent.services, rescan=self.pickup.request,
                                 refresh=self.status.refresh, clock=ctx.clock)
        self.server: ObservabilityServer | None = None
        self.should_exit = False
        self.force_exit = False
        self._hup = False
        self._watchdog = watchdog_interval(environ) if agent.config.health.watchdog else None
        self._last_watchdog = 0.0
        self._wake_r, self._wake_w = socket.socketpair()
        agent.health.watch_heartbeat(max(10 * TICK_SECONDS, (self._watchdog or 0) * 2))

    def _components_alive(self) -> bool:
        return self.lanes.alive and self.pickup.alive and self.schedule.alive

    # --- signals ----------------------------------------------------------------------------

    def _install_signals(self) -> None:
        for sock in (self._wake_r, self._wake_w):
            sock.setblocking(False)
        signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        for sig in HANDLED:
            signal.signal(sig, self._on_signal)

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGHUP:
            self._hup = True
            return
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True

    # --- life -------------------------------------------------------------------------------

    def run(self) -> int:
        """Start, serve until a stop signal, stop within the deadline. Returns the exit code."""
        self._install_signals()
        started = time.monotonic()
        self.start()
        log.info("ready", seconds=round(time.monotonic() - started, 3), organs=sorted(
            self.agent.ctx.organs.served), pid=os.getpid())
        self.notifier.ready(f"ready: {self.status.line}")
        while not self.should_exit:
            self._tick()
        return self.shutdown()

    def start(self) -> None:
        """Everything READY=1 promises: the journal is open (locked, migrated, the claims of a
        crashed run released), the folders are reconciled and writable, the journal answers,
        the metrics endpoint listens, and the workers, pickup and scheduler run. The axis is
        not required: documents wait in the journal and are retried."""
        self.agent.services.recovery.run()
        self.status.refresh()
        problem = self.status.folders_problem
        if problem is not None:
            raise StorageError(f"the exchange folders cannot be used: {problem}",
                               hint="give the service user write access (ReadWritePaths=)")
        self._serve_metrics()
        self.lanes.start()
        self.pickup.start()
        self.schedule.start()

    def _serve_metrics(self) -> None:
        metrics = self.agent.config.metrics
        if not metrics.enabled:
            return
        try:
            self.server = ObservabilityServer(self.agent.metrics, self.agent.health,
                                              metrics.host, metrics.port).start()
        except OSError as exc:
            raise ConfigError(f"metrics.listen {metrics.listen} cannot be used: {exc.strerror}",
                              hint="choose a free port, or disable metrics") from exc
        host, port = self.server.address
        log.info("metrics and health endpoint", url=f"http://{host}:{port}/metrics")

    def _tick(self) -> None:
        try:
            readable, _, _ = select.select([self._wake_r], [], [], TICK_SECONDS)
        except InterruptedError:  # pragma: no cover - PEP 475 retries select
            readable = []
        if readable:
            self._drain_wakeups()
        self.agent.health.beat()
        if self._hup:
            self._hup = False
            log.info("SIGHUP: rescanning the folders and polling the axis now")
            self.pickup.request()
            self.schedule.run_now("poll-edoc", "poll-status")
        self._ping_watchdog()

    def _drain_wakeups(self) -> None:
        try:
            while self._wake_r.recv(512):
                pass
        except BlockingIOError:
            pass

    def _ping_watchdog(self) -> None:
        if self._watchdog is None:
            return
        now = time.monotonic()
        if now - self._last_watchdog < self._watchdog:
            return
        report = self.agent.health.liveness()
        if report.ok:
            self.notifier.watchdog()
            self._last_watchdog = now
        else:
            log.error("unhealthy: the systemd watchdog is not fed", checks=report.checks)

    def shutdown(self) -> int:
        """Stop everything within ``shutdown.deadline_seconds``; 0 even when work was cut short
        (it is checkpointed at its last durable step)."""
        deadline_seconds = self.agent.config.shutdown.deadline_seconds
        self.notifier.stopping("stopping: finishing the current steps")
        log.info("stopping", deadline_seconds=deadline_seconds, in_flight=self.lanes.busy)
        deadline = time.monotonic() + deadline_seconds
        self.pickup.stop()
        self.schedule.stop()
        self.lanes.stop()
        finished = self._wait(deadline) and self.schedule.wait_idle(deadline)
        if self.server is not None:
            self.server.stop()
        if not finished:
            log.warning("the shutdown deadline passed; unfinished items resume at the next start",
                        in_flight=self.lanes.busy)
            self._exit_now(0)
        self.agent.close()
        log.info("stopped")
        return 0

    def _wait(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.force_exit:
                return False
            if self.lanes.join(min(deadline, time.monotonic() + 0.2)):
                self.pickup.join(max(0.0, deadline - time.monotonic()))
                return True
            self._drain_wakeups()
        return False

    @staticmethod
    def _exit_now(code: int) -> None:
        """Leave without waiting for threads still inside an HTTP call (their items are at a
        durable step; SQLite's WAL needs no clean close)."""
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
