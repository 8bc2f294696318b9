"""The bench's world: a sandbox subprocess, agent daemons as subprocesses, documents to drop.

Everything is built on the end-to-end harness (``tests/e2e/harness.py``): the same sandbox
command line, the same agent configuration generator, the daemon's own READY=1 over a private
NOTIFY_SOCKET. The daemons run with the default settings that matter for speed (signing, poll
intervals, rescans, log level ``info``) unless a benchmark says otherwise.

Agency A (system ``00.53.W00``) sends for the Sở TT&TT; agency B (``02.44.W00``) receives for
huyện Bến Cầu. Keys come from a development PKI (RSA-2048).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # python bench/run.py as well as python -m bench
    sys.path.insert(0, str(REPO))

from tests.e2e.harness import AgentProcess, SandboxProcess, wait_for  # noqa: E402
from tests.integration.services.fixtures import (  # noqa: E402
    A_SYS,
    B_SYS,
    DISTRICT,
    SECRETS,
    STTTT,
    Pki,
    make_pki,
    metadata,
)
from tests.support.pdfs import make_pdf, make_pdf_of_size  # noqa: E402

__all__ = ["A_SYS", "B_SYS", "DISTRICT", "SECRETS", "STTTT", "wait_for"]

# The defaults of the configuration schema for what costs CPU while idle or busy; the e2e
# configuration polls every 0.3 s and rescans every second, which a benchmark must not.
DEFAULT_PACE = """
polling: {edoc_interval_seconds: 60, status_interval_seconds: 60, jitter_seconds: 5}
pickup: {rescan_interval_seconds: 60}
"""
SIGNING = {  # label -> (pdf_signature, xml_signature)
    "PDF+XML signed (default)": (True, True),
    "XML signature only": (False, True),
    "unsigned": (False, False),
}


def pdf_300kb() -> bytes:
    """A 3-page scanned PDF of about 300 KB (incompressible images, like a real scan)."""
    return make_pdf(pages=3, image_bytes_per_page=100_000)


# --- processes ------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kib(pid: int, key: str) -> int:
    """A field of /proc/<pid>/status in KiB, e.g. ``VmHWM`` (peak RSS) or ``VmRSS``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def peak_rss_mb(pid: int) -> float:
    return status_kib(pid, "VmHWM") / 1024


class Lab:
    """A PKI, a sandbox subprocess and the agents started against it, under ``base``."""

    def __init__(self, base: Path, pki: Pki | None = None) -> None:
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.pki = pki or make_pki(base / "pki")
        self.sandbox = SandboxProcess(base / "axis", extra_args=["--log-level", "warning"])
        self.agents: list[AgentProcess] = []

    def agent(self, name: str, *, settings: str = "", receiver: bool = False) -> AgentProcess:
        """Agent A (sender, Sở TT&TT) or, with ``receiver``, agent B (huyện Bến Cầu)."""
        pki = self.pki
        system, organs, key, chain = (B_SYS, [DISTRICT], pki.b_key, pki.b_chain) if receiver \
            else (A_SYS, [STTTT], pki.a_key, pki.a_chain)
        agent = AgentProcess(self.base / name, name=name, sandbox=self.sandbox, pki=pki,
                             system=system, organs=organs, key=key, chain=chain,
                             extra=DEFAULT_PACE + settings, log_level="info")
        self.agents.append(agent)
        return agent

    def close(self) -> None:
        for agent in self.agents:
            agent.stop()
        self.sandbox.stop()

    def ledger_count(self, event: str, detail: str | None = None, since: int = 0) -> int:
        events = self.sandbox.admin("GET", f"/ledger?since={since}&limit=1000000")["events"]
        return sum(1 for e in events if e["event"] == event
                   and (detail is None or e.get("detail") == detail))


@contextmanager
def lab(base: Path, pki: Pki | None = None) -> Iterator[Lab]:
    world = Lab(base, pki)
    try:
        yield world
    finally:
        world.close()


def signing_settings(pdf: bool, xml: bool, concurrency: int) -> str:
    return (f"signing: {{pdf_signature: {str(pdf).lower()}, xml_signature: {str(xml).lower()}}}\n"
            f"upload: {{concurrency: {concurrency}}}\n")


# --- documents ------------------------------------------------------------------------------


@dataclass
class Staged:
    """Document folders written completely outside the outbox, ready to be renamed into it."""

    folders: list[Path]

    def drop(self, outbox: Path) -> float:
        """Rename every folder into ``outbox`` (the folder contract's atomic hand-over);
        returns time.monotonic() just before the first rename."""
        started = time.monotonic()
        for folder in self.folders:
            os.rename(folder, outbox / folder.name)
        return started


def stage(staging: Path, prefix: str, count: int, attachment: bytes | Path,
          to: str = DISTRICT) -> Staged:
    """``count`` document folders (metadata.json + one PDF) under ``staging``, which must be on
    the outbox's file system. ``attachment`` is the PDF's bytes, or a big file to hard-link."""
    staging.mkdir(parents=True, exist_ok=True)
    folders = []
    for n in range(count):
        folder = staging / f"{prefix}-{n:05}"
        folder.mkdir()
        meta = metadata(to=[to], number=f"{n + 1}", notation=f"{prefix.upper()}-VP")
        (folder / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False))
        if isinstance(attachment, Path):
            os.link(attachment, folder / "van-ban.pdf")
        else:
            (folder / "van-ban.pdf").write_bytes(attachment)
        folders.append(folder)
    return Staged(folders)


def big_pdf(path: Path, megabytes: int) -> Path:
    with path.open("wb") as out:
        make_pdf_of_size(out, megabytes << 20)
    return path


def count_entries(folder: Path) -> int:
    try:
        return sum(1 for name in os.listdir(folder) if not name.startswith("."))
    except FileNotFoundError:
        return 0


def wait_count(folder: Path, expected: int, timeout: float, *, interval: float = 0.01,
               also: Callable[[], None] | None = None) -> float:
    """Wait until ``folder`` holds ``expected`` entries; returns time.monotonic() then."""
    deadline = time.monotonic() + timeout
    while count_entries(folder) < expected:
        if also is not None:
            also()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{folder}: {count_entries(folder)} of {expected} after "
                               f"{timeout:.0f} s")
        time.sleep(interval)
    return time.monotonic()


def kill(agent: AgentProcess) -> None:
    if agent.proc is not None and agent.proc.poll() is None:
        agent.proc.send_signal(signal.SIGKILL)
        agent.proc.wait()
    agent.stop()


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def folders_of(agent: AgentProcess, organ: str) -> dict[str, Path]:
    return {name: agent.folder(organ, name) for name in ("outbox", "sent", "failed", "inbox",
                                                          "quarantine", "receipts")}


def pids(agents: Sequence[AgentProcess]) -> list[int]:
    return [a.proc.pid for a in agents if a.proc is not None]
