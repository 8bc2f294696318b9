"""Structured logs: one structlog pipeline, configured once at start-up.

JSON lines on standard output under systemd (``$JOURNAL_STREAM``) or whenever the output is not a
terminal; a console renderer on a terminal. Every line carries ``timestamp`` (ISO 8601, UTC),
``level``, ``event`` and the context bound with :func:`log_context` (``document_id``, ``organ``,
``step``, ``direction``). Keys that look like secrets are censored before rendering, and tracebacks
are rendered without local variables. Logs of libraries (stdlib ``logging``) go through the same
pipeline.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping
from typing import Any, Final, TextIO

import structlog
from structlog.contextvars import bound_contextvars
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

CENSORED: Final = "[censored]"
#: Name parts that make a key secret (matched on the words of the key, not on substrings, so
#: ``mapping`` or ``pickup`` are left alone).
SECRET_WORDS: Final = frozenset(
    {
        "secret", "secrets", "secretkey", "password", "passwd", "passphrase", "pin", "token",
        "authorization", "cookie", "apikey", "privatekey", "pkcs12", "pfx",
    }
)
#: Last words that make a secret-looking key a harmless reference (``secret_file``).
REFERENCE_WORDS: Final = frozenset({"file", "path", "credential", "name", "ref", "source"})
_PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_WORD = re.compile(r"[^a-z0-9]+")
_HANDLER_MARK: Final = "_lienthong_handler"

#: Bind fields to every log line emitted inside the ``with`` block (contextvars: thread- and
#: task-local). ``with log_context(document_id=..., organ=..., step="upload"): ...``
log_context = bound_contextvars


def is_secret_key(key: str) -> bool:
    """Does a log key name a secret? (``axis_secret``, ``key_password``, ``Authorization``...)"""
    words = [w for w in _WORD.split(key.lower()) if w]
    if not words or words[-1] in REFERENCE_WORDS:
        return False
    joined = "".join(words)
    return any(w in SECRET_WORDS for w in words) or joined in SECRET_WORDS or "privatekey" in joined


def _censor(value: Any) -> Any:
    if type(value).__name__ == "Secret" and hasattr(value, "reveal"):
        return CENSORED
    if isinstance(value, str) and _PEM_PRIVATE.search(value):
        return CENSORED
    if isinstance(value, Mapping):
        return {k: CENSORED if is_secret_key(str(k)) else _censor(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_censor(v) for v in value]
    return value


def censor_secrets(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: replace the value of every secret-looking key, at any depth."""
    for key in list(event_dict):
        value = event_dict[key]
        event_dict[key] = CENSORED if is_secret_key(key) else _censor(value)
    return event_dict


def _drop_color_message(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """uvicorn duplicates its message with ANSI colours in ``color_message``."""
    event_dict.pop("color_message", None)
    return event_dict


def shared_processors() -> list[Processor]:
    """The processors every line goes through before rendering (structlog and stdlib lines)."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_color_message,
        censor_secrets,
        structlog.processors.StackInfoRenderer(),
    ]


def choose_format(
    requested: str, stream: TextIO, environ: Mapping[str, str] | None = None
) -> str:
    """``json`` or ``console``: ``auto`` means console on a terminal, JSON otherwise or under
    systemd (``$JOURNAL_STREAM`` is set when stdout or stderr is connected to journald)."""
    if requested in {"json", "console"}:
        return requested
    env = os.environ if environ is None else environ
    if "JOURNAL_STREAM" in env:
        return "json"
    isatty = getattr(stream, "isatty", None)
    return "console" if isatty is not None and isatty() else "json"


def renderer(fmt: str, stream: TextIO) -> list[Processor]:
    """The final processors: exceptions without locals, then JSON or console text."""
    if fmt == "json":
        return [
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
            structlog.processors.JSONRenderer(ensure_ascii=False, sort_keys=False),
        ]
    isatty = getattr(stream, "isatty", None)
    colors = bool(isatty is not None and isatty())
    return [
        structlog.dev.ConsoleRenderer(
            colors=colors, exception_formatter=structlog.dev.plain_traceback
        )
    ]


def configure_logging(
    fmt: str = "auto",
    level: str = "info",
    *,
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Configure structlog and the stdlib root logger once; returns the format chosen.

    Calling it again replaces the previous configuration (tests, ``run`` after a config reload).
    """
    out = stream if stream is not None else sys.stdout
    chosen = choose_format(fmt, out, environ)
    shared = shared_processors()
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *renderer(chosen, out),
            ],
        )
    )
    setattr(handler, _HANDLER_MARK, True)
    _install_root_handler(handler, level)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    return chosen


def _install_root_handler(handler: logging.Handler, level: str) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.captureWarnings(True)
    # httpx logs every request at INFO (each poll); apscheduler every job run.
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def get_logger(name: str | None = None, **initial: Any) -> Any:
    """A structlog logger; ``initial`` fields are bound to every line it emits."""
    return structlog.get_logger(name, **initial)


__all__ = [
    "CENSORED",
    "censor_secrets",
    "choose_format",
    "configure_logging",
    "get_logger",
    "is_secret_key",
    "log_context",
]
