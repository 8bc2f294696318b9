"""Observability: structured logs, Prometheus metrics, health endpoints and sd_notify.

::

    configure_logging(config.logging.format, config.logging.level)
    metrics, health = Metrics(version=__version__), Health()
    server = ObservabilityServer(metrics, health, config.metrics.host, config.metrics.port).start()
    notifier = SystemdNotifier()
    ...
    notifier.ready("polling every 60 s")

Field names and series are listed in docs/operations.md.
"""

from agent.observability.health import Check, Health, HealthReport, freshness_check
from agent.observability.logs import (
    CENSORED,
    censor_secrets,
    choose_format,
    configure_logging,
    get_logger,
    is_secret_key,
    log_context,
)
from agent.observability.metrics import Metrics, error_code_label
from agent.observability.server import ObservabilityServer
from agent.observability.systemd import SystemdNotifier, watchdog_interval

__all__ = [
    "CENSORED",
    "Check",
    "Health",
    "HealthReport",
    "Metrics",
    "ObservabilityServer",
    "SystemdNotifier",
    "censor_secrets",
    "choose_format",
    "configure_logging",
    "error_code_label",
    "freshness_check",
    "get_logger",
    "is_secret_key",
    "log_context",
    "watchdog_interval",
]
