"""The sandbox without HTTP: database, registry, mailbox, ingest and fault plan, wired once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from agent.sandbox.clock import Clock
from agent.sandbox.config import SandboxConfig
from agent.sandbox.db import Database
from agent.sandbox.directory import Directory
from agent.sandbox.faults import FaultPlan
from agent.sandbox.ingest import Ingest
from agent.sandbox.mailbox import Mailbox


class Sandbox:
    """Everything one sandbox instance holds. Opening it applies the configured registry."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = Clock(config.time_format)
        self.db = Database(config.data_dir, durable=config.durable)
        self.directory = Directory(self.db, self.clock.stamp)
        self.directory.apply(config.registry)
        self.mailbox = Mailbox(self.db, self.clock)
        self.ingest = Ingest(config, self.directory, self.mailbox, self.clock)
        self.faults = FaultPlan(config.faults, config.fault_seed)
        self.pool = ThreadPoolExecutor(max(1, config.ingest_threads), "sandbox-ingest")
        self.spool_dir = config.data_dir / "incoming"
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        for leftover in self.spool_dir.glob("*.part"):  # bodies of requests cut by a crash
            leftover.unlink(missing_ok=True)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.ingest.files.close()
        self.db.close()
