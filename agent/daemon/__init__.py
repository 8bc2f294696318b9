"""The daemon: ``lienthong-agent run --config FILE`` (systemd runs exactly this).

=============  ==============================================================================
``wiring``     the object graph, built in one place from the configuration
``loop``       the main loop: signals to flags, ticks, sd_notify, graceful stop with a deadline
``lanes``      worker threads per kind of item, fed by journal claims, woken by events
``watcher``    pickup: inotify notifications, start-up scan, periodic rescans
``schedule``   apscheduler jobs: polls, directory sync, rescans, status refresh
``status``     health checks, metrics from the journal, the STATUS line
=============  ==============================================================================

:func:`run` is ``main()`` for the daemon: load the configuration, set up logging, build, run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from agent import __version__
from agent.config import load_config
from agent.daemon.loop import Daemon
from agent.daemon.wiring import build_agent
from agent.observability import SystemdNotifier, configure_logging, get_logger
from agent.services.failpoints import ENV, Failpoints

log = get_logger("agent.daemon")


def run(config_path: Path, environ: Mapping[str, str] | None = None) -> int:
    """Run the agent in the foreground until SIGTERM / SIGINT; the process exit code.

    Raises ConfigError (exit 3) for an unusable configuration or key, JournalError /
    StorageError (exit 4) when the journal cannot be opened (another daemon holds it)."""
    env = os.environ if environ is None else environ
    config = load_config(config_path, environ=env)
    configure_logging(config.logging.format.value, config.logging.level.value, environ=env)
    failpoints = Failpoints.from_environ(env)
    if failpoints.active:
        log.warning(f"TEST FAILPOINTS ARE ACTIVE ({ENV}): this process will crash or misbehave"
                    " on purpose; never set this outside the test suites",
                    failpoints=failpoints.describe())
    notifier = SystemdNotifier(env)
    agent = build_agent(config, environ=env, failpoints=failpoints)
    log.info("starting", version=__version__, config=str(config_path),
             system_id=config.axis.system_id, journal=str(config.journal.path))
    return Daemon(agent, notifier, env).run()


__all__ = ["Daemon", "build_agent", "run"]
