"""The canonical log line: ONE ``document finished`` line per document that reached its end.

Fields, besides those bound by ``log_context`` (``document_id``, ``organ``, ``step``,
``direction``): ``outcome`` (``sent``, ``failed``, ``delivered``, ``applied``, ``duplicate``,
``quarantined``), ``duration_seconds`` (from pickup or listing to the end), ``recipients``,
``axis_doc_id``, ``sha256`` (of the package as sent or received) and, on failure, ``error``.
Per-step lines are at debug level; an operator follows a document with this line alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from agent.observability import get_logger
from agent.services.context import ServiceContext

log = get_logger("agent.summary")


def document_finished(
    ctx: ServiceContext, *, direction: str, outcome: str, started_at: dt.datetime,
    recipients: Sequence[str], axis_doc_id: str | None, sha256: str | None,
    error: str | None = None, **extra: Any,
) -> None:
    """Log the summary line and count the document in the metrics."""
    duration = max((ctx.now() - started_at).total_seconds(), 0.0)
    fields: dict[str, Any] = {
        "direction": direction, "outcome": outcome, "duration_seconds": round(duration, 3),
        "recipients": list(recipients), "axis_doc_id": axis_doc_id, "sha256": sha256, **extra,
    }
    if error is not None:
        fields["error"] = error
        log.warning("document finished", **fields)
    else:
        log.info("document finished", **fields)
    ctx.count("document_finished", direction, outcome)
