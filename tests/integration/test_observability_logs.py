"""Logs: one JSON object per line under systemd, context on every line, secrets censored."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from agent.observability import (
    CENSORED,
    censor_secrets,
    choose_format,
    configure_logging,
    get_logger,
    is_secret_key,
    log_context,
)


class _Secret:
    """Stands for agent.config.Secret (observability may not import agent.config)."""

    def reveal(self) -> bytes:
        return b"from-a-secret-object"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Leave structlog and the root logger as other tests expect them."""
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    quietened = {n: logging.getLogger(n).level for n in ("httpx", "httpcore", "apscheduler")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quietened.items():
        logging.getLogger(name).setLevel(old)
    logging.captureWarnings(False)
    structlog.configure(**config)


@pytest.fixture
def json_lines() -> io.StringIO:
    stream = io.StringIO()
    configure_logging("json", "debug", stream=stream, environ={})
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_secret_keys_are_censored_in_real_output(json_lines: io.StringIO) -> None:
    """Secret-looking keys, nested ones, Secret objects and PEM private keys never reach output."""
    secret_cls = type("Secret", (_Secret,), {})
    get_logger("t").info(
        "calling axis",
        axis_secret="s3cr3t-key",
        key_password="hunter2",
        headers={"Authorization": "Bearer tok-123", "XroadVnpt-systemid": "vxp.saas.03"},
        value=secret_cls(),
        pem="-----BEGIN PRIVATE KEY-----\nMIIB...\n-----END PRIVATE KEY-----",
        secret_credential="axis-secret",
    )
    text = json_lines.getvalue()
    for leaked in ("s3cr3t-key", "hunter2", "tok-123", "from-a-secret-object", "MIIB"):
        assert leaked not in text
    (line,) = _lines(json_lines)
    assert line["axis_secret"] == CENSORED and line["value"] == CENSORED
    assert line["headers"] == {"Authorization": CENSORED, "XroadVnpt-systemid": "vxp.saas.03"}
    assert line["secret_credential"] == "axis-secret"  # a name, not a secret


def test_context_and_iso_timestamp_on_every_line(json_lines: io.StringIO) -> None:
    """Fields bound with log_context appear on every line inside the block, and only there."""
    log = get_logger("agent.services.send")
    with log_context(document_id="000.00.13.H53,2024/11/05,412/STTTT-VP", organ="000.00.13.H53"):
        with log_context(step="upload"):
            log.info("uploaded", bytes=1234)
        log.info("archived")
    log.info("idle")
    first, second, third = _lines(json_lines)
    assert first["document_id"] == "000.00.13.H53,2024/11/05,412/STTTT-VP"
    assert (first["step"], first["organ"], first["level"]) == ("upload", "000.00.13.H53", "info")
    assert "step" not in second and second["organ"] == "000.00.13.H53"
    assert "document_id" not in third
    assert str(first["timestamp"]).endswith("Z") and "T" in str(first["timestamp"])
    assert first["logger"] == "agent.services.send" and first["event"] == "uploaded"


def test_tracebacks_carry_no_local_variables(json_lines: io.StringIO) -> None:
    """An exception is rendered as a structured traceback without the frames' locals."""

    def fail() -> None:
        password_in_a_local = "topsecret-local"  # noqa: F841, S105
        raise ValueError("boom")

    try:
        fail()
    except ValueError:
        get_logger("t").exception("failed")
    text = json_lines.getvalue()
    assert "topsecret-local" not in text
    (line,) = _lines(json_lines)
    exception = line["exception"]
    assert isinstance(exception, list) and exception[0]["exc_type"] == "ValueError"


def test_stdlib_logging_goes_through_the_same_pipeline(json_lines: io.StringIO) -> None:
    """A library's logging call comes out as JSON, with secret extras censored."""
    logging.getLogger("uvicorn.error").warning("library says %s", "hi", extra={"token": "t0k"})
    (line,) = _lines(json_lines)
    assert line["event"] == "library says hi" and line["level"] == "warning"
    assert line["token"] == CENSORED


def test_level_filters_lines() -> None:
    """Lines below the configured level are dropped."""
    stream = io.StringIO()
    configure_logging("json", "warning", stream=stream, environ={})
    get_logger("t").info("hidden")
    get_logger("t").warning("shown")
    assert [line["event"] for line in _lines(stream)] == ["shown"]


def test_configuring_twice_does_not_duplicate_lines() -> None:
    """configure_logging replaces its handler instead of adding a second one."""
    stream = io.StringIO()
    configure_logging("json", "info", stream=io.StringIO(), environ={})
    configure_logging("json", "info", stream=stream, environ={})
    get_logger("t").info("once")
    assert len(_lines(stream)) == 1


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_format_is_json_under_systemd_and_console_on_a_terminal() -> None:
    """auto: JSON with $JOURNAL_STREAM or without a terminal, console on a terminal."""
    assert choose_format("auto", _Tty(), {"JOURNAL_STREAM": "8:1234"}) == "json"
    assert choose_format("auto", io.StringIO(), {}) == "json"
    assert choose_format("auto", _Tty(), {}) == "console"
    assert choose_format("console", io.StringIO(), {"JOURNAL_STREAM": "8:1"}) == "console"


def test_console_output_is_censored_too() -> None:
    """The console renderer sees the censored values as well."""
    stream = _Tty()
    configure_logging("console", "info", stream=stream, environ={})
    get_logger("t").info("hello", password="pw-visible?")
    assert "pw-visible?" not in stream.getvalue() and "hello" in stream.getvalue()


def test_secret_key_detection_uses_words_not_substrings() -> None:
    """`mapping`, `pickup`, `secret_file` are fine; `pin`, `api-key`, `privateKey` are not."""
    secret = ["secret", "axis_secret", "PIN", "api-key", "privateKey", "X-SecretKey", "Cookie"]
    fine = ["mapping", "pickup", "secret_file", "key_password_credential", "hash_file", "key"]
    assert [k for k in secret if not is_secret_key(k)] == []
    assert [k for k in fine if is_secret_key(k)] == []


def test_censor_processor_with_capture_logs() -> None:
    """The processor itself, run through structlog.testing.capture_logs."""
    with structlog.testing.capture_logs(processors=[censor_secrets]) as logs:
        structlog.get_logger().info("x", passphrase="abc", nested=[{"token": "t"}])
    assert logs[0]["passphrase"] == CENSORED
    assert logs[0]["nested"] == [{"token": CENSORED}]
