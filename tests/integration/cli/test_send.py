"""``send``: items are checked with the agent's own rules, handed over to the outbox by the folder
contract, and (``--wait``) followed through the journal of a real daemon until the axis
accepted them; progress bars appear on a terminal only."""

from __future__ import annotations

import datetime as dt
import os
import pty
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from agent.cli import EXIT_INVALID, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from agent.cli._demo_setup import ITEM, agencies, prepare, write_sample
from agent.cli._demo_watch import agency_ready, wait_for
from agent.cli.demo import _daemons
from agent.sandbox import OrganSpec, Registry, SandboxConfig, SandboxServer, SystemSpec

from .conftest import Run, write_config

REPO = Path(__file__).resolve().parents[3]
SENDER = "000.00.13.H53"


def numbered(sample: Path, into: Path, number: int) -> Path:
    """A copy of the sample document folder as its own document: số ``number``."""
    item = into / f"{number}-STTTT-VP"
    shutil.copytree(sample, item)
    metadata = item / "metadata.yaml"
    metadata.write_text(metadata.read_text(encoding="utf-8").replace(
        'number: "412"', f'number: "{number}"'), encoding="utf-8")
    return item


def offline(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A configuration whose agent does not run, its outbox, and a valid document folder."""
    config = write_config(tmp_path, tmp_path / "state" / "journal.sqlite3")
    outbox = tmp_path / "exchange" / SENDER / "outbox"
    outbox.mkdir(parents=True)
    sender, recipient = agencies(tmp_path)
    write_sample(tmp_path / "items" / ITEM, sender, recipient, dt.date(2024, 11, 5))
    return config, outbox, tmp_path / "items" / ITEM


def test_send_wait_follows_every_item_until_the_axis_accepted_it(
    cli: Run, tmp_path: Path
) -> None:
    """Three document folders handed over to a running agent (real daemon, sandbox axis) all end
    archived with an axis DocId and their claim in sent/; send exits 0, the outbox is left
    empty, and status tells the agent is running, then, once it stopped, that it is not. A
    document the agent gives up (a recipient not in the directory) makes send exit 1 with the
    error file of failed/."""
    pair = agencies(tmp_path)
    registry = Registry(systems=tuple(SystemSpec(a.system_id, a.secret) for a in pair),
                        organs=tuple(OrganSpec(a.organ, a.system_id, name=a.name) for a in pair))
    with SandboxServer(SandboxConfig(data_dir=tmp_path / "axis", registry=registry)) as axis:
        space = prepare(pair, axis.url, dt.datetime.now(dt.UTC))
        a = space.sender
        items = [numbered(space.sample, tmp_path / "bulk", n) for n in (501, 502, 503)]
        with _daemons((a,)) as alive:  # type: ignore[arg-type]  # the sender alone suffices
            wait_for("A ready", lambda: alive() or agency_ready(a)(), time.monotonic() + 30)
            result = cli("send", "-c", str(a.config), "--wait", "--timeout", "40", "--json",
                         *map(str, items))
            running = cli("status", "-c", str(a.config), "--json").json()["agent"]
            unknown = numbered(space.sample, tmp_path / "more", 504)
            metadata = unknown / "metadata.yaml"
            metadata.write_text(metadata.read_text(encoding="utf-8").replace(
                pair[1].organ, "000.00.99.H53"), encoding="utf-8")
            failed = cli("send", "-c", str(a.config), "--wait", "--timeout", "40", "--json",
                         str(unknown))
    assert result.code == EXIT_OK, result.err
    rows = result.json()["items"]
    assert [r["state"] for r in rows] == ["archived"] * 3
    assert sorted(r["ref"] for r in rows) == ["out:1", "out:2", "out:3"]
    assert all(r["axis_doc_id"] and r["error"] is None for r in rows)
    assert all(Path(r["archive"]).parent == a.folders / "sent" for r in rows)
    assert all(Path(r["archive"]).name.endswith(Path(r["item"]).name) for r in rows)
    assert list((a.folders / "outbox").iterdir()) == []
    assert running["running"] is True and isinstance(running["pid"], int)
    assert cli("status", "-c", str(a.config), "--json").json()["agent"]["running"] is False
    assert failed.code == EXIT_INVALID
    row = failed.json()["items"][0]
    assert (row["state"], row["ref"], row["axis_doc_id"]) == ("failed", "out:4", None)
    assert Path(row["archive"]).parent == a.folders / "failed"
    assert row["error"]["problems"] == ["'to': 000.00.99.H53 is not in the axis directory"]
    assert (Path(row["archive"]) / "error.txt").read_text(encoding="utf-8") in failed.err


def test_a_broken_metadata_file_is_refused_before_anything_is_handed_over(
    cli: Run, tmp_path: Path
) -> None:
    """One good and one broken folder: the broken one is refused with its path and each
    problem's place, the good one is held back, and nothing (not even a hidden copy) reaches
    the outbox; exit 1."""
    config, outbox, good = offline(tmp_path)
    broken = tmp_path / "items" / "413-STTTT-VP"
    shutil.copytree(good, broken)
    metadata = broken / "metadata.yaml"
    text = metadata.read_text(encoding="utf-8").replace('number: "412"\n', "")
    metadata.write_text(text.replace("  - 000.00.31.H53", "  - UBND huyện Bến Cầu"), "utf-8")
    result = cli("send", "-c", str(config), "--json", str(good), str(broken))
    assert result.code == EXIT_INVALID
    rows = {Path(r["item"]).name: r for r in result.json()["items"]}
    assert (rows[ITEM]["state"], rows["413-STTTT-VP"]["state"]) == ("held", "refused")
    problems = rows["413-STTTT-VP"]["error"]["problems"]
    assert any(p.startswith("metadata.yaml: At 'to[0]'") for p in problems), problems
    assert any("'number'" in p for p in problems), problems
    assert f"refused {broken}" in result.err and "At 'to[0]'" in result.err
    assert list(outbox.iterdir()) == []


def test_an_item_whose_name_is_already_in_the_outbox_is_refused(
    cli: Run, tmp_path: Path
) -> None:
    """A name the outbox already holds is refused (exit 1); what was there is left untouched."""
    config, outbox, item = offline(tmp_path)
    (outbox / ITEM).mkdir()
    (outbox / ITEM / "mine.txt").write_text("the DMS's own item")
    result = cli("send", "-c", str(config), str(item))
    assert result.code == EXIT_INVALID
    assert "already in the outbox" in result.err
    assert sorted(p.name for p in outbox.rglob("*")) == [ITEM, "mine.txt"]


def test_without_a_daemon_send_wait_times_out_with_exit_4(cli: Run, tmp_path: Path) -> None:
    """Handed over, but no agent takes it: after --timeout 2 send exits 4, asks whether the agent
    is running, and the item stays complete in the outbox for the agent to take later."""
    config, outbox, item = offline(tmp_path)
    started = time.monotonic()
    result = cli("send", "-c", str(config), "--wait", "--timeout", "2", "--json", str(item))
    assert result.code == EXIT_UNAVAILABLE
    assert 2 <= time.monotonic() - started < 10
    assert "is the agent running?" in result.err
    row = result.json()["items"][0]
    assert (row["state"], row["error"]["code"]) == ("waiting", "send.not-picked-up")
    assert sorted(p.name for p in (outbox / ITEM).iterdir()) == sorted(
        p.name for p in item.iterdir())
    assert [p.name for p in outbox.iterdir()] == [ITEM]


def test_without_wait_send_returns_once_handed_over(cli: Run, tmp_path: Path) -> None:
    """Without --wait: exit 0 as soon as the item is in the outbox, byte for byte."""
    config, outbox, item = offline(tmp_path)
    result = cli("send", "-c", str(config), str(item))
    assert result.code == EXIT_OK, result.err
    assert "handed-over" in result.out and str(outbox / ITEM) in result.out
    for source in item.iterdir():
        assert (outbox / ITEM / source.name).read_bytes() == source.read_bytes()


def test_a_ready_package_that_is_not_edxml_is_refused(cli: Run, tmp_path: Path) -> None:
    """A *.edxml file is parsed as the agent would: one that is not XML is refused."""
    config, outbox, _ = offline(tmp_path)
    package = tmp_path / "items" / "broken.edxml"
    package.write_bytes(b"%PDF-1.7 not a package")
    result = cli("send", "-c", str(config), str(package))
    assert result.code == EXIT_INVALID and f"refused {package}" in result.err
    assert list(outbox.iterdir()) == []


def test_the_organ_must_be_chosen_when_the_agent_serves_several(
    cli: Run, tmp_path: Path
) -> None:
    """Two organs and no exchange.default_sender: send asks for --organ (exit 2)."""
    organs = "  - code: 000.00.31.H53\n    name: UBND huyện Bến Cầu\n"
    config = write_config(tmp_path, tmp_path / "j.sqlite3")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("exchange:", organs + "exchange:", 1), encoding="utf-8")
    result = cli("send", "-c", str(config), str(tmp_path))
    assert result.code == EXIT_USAGE and "--organ" in result.err


def _send_on_terminal(config: Path, item: Path, *extra: str) -> tuple[int, str, str]:
    """Run send with stderr on a pseudo-terminal; return its exit code, stdout and what the
    terminal showed."""
    master, slave = pty.openpty()
    shown = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the slave side is closed
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    env = {**os.environ, "TERM": "xterm", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "agent", "send", "-c", str(config), *extra,
                           str(item)], stdout=subprocess.PIPE, stderr=slave, env=env,
                          timeout=60, check=False)
    os.close(slave)
    reader.join(10)
    os.close(master)
    return proc.returncode, proc.stdout.decode(), shown.decode(errors="replace")


def test_progress_bars_are_drawn_on_a_terminal_only(tmp_path: Path) -> None:
    """On a pseudo-terminal, send draws the bytes handed over (a 3 MiB scan) and the items
    accepted, in place; with stderr on a pipe it writes no progress at all."""
    config, _, item = offline(tmp_path)
    (item / "scan.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(3 << 20))
    metadata = item / "metadata.yaml"
    metadata.write_text(metadata.read_text(encoding="utf-8").split("attachments:")[0], "utf-8")
    code, out, shown = _send_on_terminal(config, item, "--wait", "--timeout", "1")
    assert code == EXIT_UNAVAILABLE
    assert "\rhanding over [" in shown and "/3.0 MiB" in shown
    assert "\raccepted [" in shown and "0/1" in shown
    assert "\r" not in out
    (tmp_path / "exchange" / SENDER / "outbox" / ITEM).rename(tmp_path / "taken")
    piped = subprocess.run([sys.executable, "-m", "agent", "send", "-c", str(config), str(item)],
                           capture_output=True, text=True, timeout=60, check=False,
                           env={**os.environ, "TERM": "xterm", "PYTHONPATH": str(REPO)})
    assert piped.returncode == EXIT_OK, piped.stderr
    assert piped.stderr == ""
