"""The configuration schema: every problem reported at once with its path, secrets only by name."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from agent.config import (
    AgentConfig,
    InvalidConfigError,
    Secret,
    load_config_text,
)
from agent.config.schema import DEFAULT_ERROR_CODES
from agent.core.rejection import RejectionKind

MINIMAL = """\
axis:
  base_url: https://axis.example.gov.vn
  system_id: test.system.01
  secret_credential: axis-secret
organs:
  - code: 000.00.13.H53
    name: Sở Thông tin và Truyền thông
signing:
  key_file: /etc/lienthong-agent/signing/organisation.p12
"""
NO_KEY = MINIMAL[: MINIMAL.index("signing:")]


def load(text: str, environ: dict[str, str] | None = None) -> AgentConfig:
    return load_config_text(textwrap.dedent(text), source="test.yaml", environ=environ or {})


def problems(text: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    with pytest.raises(InvalidConfigError) as caught:
        load(text, environ)
    return {p.path: p.message for p in caught.value.problems}


def test_minimal_configuration_gets_sensible_defaults() -> None:
    """Only the axis account, one organ and a key are needed; the rest has defaults."""
    config = load(MINIMAL)
    assert config.axis.operation_url("sendEdoc") == "https://axis.example.gov.vn/sendEdoc"
    assert config.axis.secret.credential == "axis-secret"
    assert config.polling.edoc_interval_seconds == 60
    assert config.retry.max_attempts == 30
    assert config.metrics.host == "127.0.0.1"
    assert config.journal.path == Path("/var/lib/lienthong-agent/journal.sqlite3")


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    """Several independent mistakes each come back, each at the dotted path of its key."""
    found = problems(
        """\
        axis:
          base_url: ftp://axis.example
          system_id: "has space"
          secret_credential: axis-secret
          path_prefix: /vxp/
        organs:
          - code: "000"
            name: X
            email: not-an-email
        polling: {edoc_interval_seconds: 0}
        logging: {level: loud}
        metrics: {listen: "127.0.0.1"}
        retry: {max_attempts: many}
        """
    )
    assert set(found) == {
        "axis.base_url",
        "axis.system_id",
        "axis.path_prefix",
        "organs[0].code",
        "organs[0].email",
        "polling.edoc_interval_seconds",
        "logging.level",
        "metrics.listen",
        "retry.max_attempts",
    }
    assert "HOST:PORT" in found["metrics.listen"]


def test_problem_text_follows_borgmatic_style() -> None:
    """The message of the error reads `At 'path': message`, one line per problem."""
    with pytest.raises(InvalidConfigError) as caught:
        load(MINIMAL.replace("test.system.01", '"a b"'))
    assert "At 'axis.system_id': a system id has no spaces" in str(caught.value)


def test_missing_required_keys_are_named() -> None:
    """An empty file names the two required sections."""
    assert problems("") == {"axis": "this key is required", "organs": "this key is required"}


def test_unknown_key_is_an_error_with_a_suggestion() -> None:
    """A misspelt key is refused and the closest known key is suggested."""
    found = problems(MINIMAL + "polling:\n  edoc_intervall_seconds: 30\n")
    assert found == {
        "polling.edoc_intervall_seconds": "unknown key; did you mean 'edoc_interval_seconds'?"
    }


def test_inline_secret_is_refused_without_echoing_it() -> None:
    """`axis.secret: VALUE` is refused, pointing to *_file / *_credential; VALUE never shows."""
    text = MINIMAL.replace("  secret_credential: axis-secret\n", "  secret: hunter2-XYZ\n")
    with pytest.raises(InvalidConfigError) as caught:
        load(text)
    message = str(caught.value)
    assert "At 'axis.secret': secrets are never written in the configuration" in message
    assert "hunter2" not in message and "hunter2" not in repr(caught.value.problems)


def test_inline_key_password_is_refused() -> None:
    """Any secret-looking key (here signing.key_password) gets the same refusal."""
    found = problems(MINIMAL + "  key_password: pw\n")
    assert found["signing.key_password"].startswith("secrets are never written")


def test_axis_secret_reference_is_required_and_unique() -> None:
    """No reference, or both a file and a credential, are both errors at the credential key."""
    none = problems(MINIMAL.replace("  secret_credential: axis-secret\n", ""))
    assert "the axis secret is required" in none["axis.secret_credential"]
    both = problems(MINIMAL.replace("axis-secret\n", "axis-secret\n  secret_file: /s\n", 1))
    assert "not both" in both["axis.secret_credential"]


def test_credential_names_are_plain_file_names() -> None:
    """A credential name with a slash could escape $CREDENTIALS_DIRECTORY; it is refused."""
    found = problems(MINIMAL.replace("axis-secret", "../etc/shadow"))
    assert "plain file name" in found["axis.secret_credential"]


def test_a_section_with_every_key_commented_out_is_empty() -> None:
    """`polling:` followed only by comments (YAML null) means the defaults, not an error."""
    config = load(MINIMAL + "polling:\n  # edoc_interval_seconds: 5\n")
    assert config.polling.edoc_interval_seconds == 60


def test_signing_needs_a_key_only_when_enabled() -> None:
    """Without signing.key_* a config is invalid, unless both signatures are switched off."""
    assert "signing key is required" in problems(NO_KEY)["signing.key_file"]
    config = load(NO_KEY + "signing:\n  pdf_signature: false\n  xml_signature: false\n")
    assert config.signing.key is None


def test_mutual_tls_needs_certificate_and_key() -> None:
    """A client certificate without a key (or the reverse) is refused."""
    text = MINIMAL.replace("axis-secret\n", "axis-secret\n  tls: {client_certificate: c.pem}\n")
    assert "needs both" in problems(text)["axis.tls.client_certificate"]
    text = MINIMAL.replace(
        "axis-secret\n", "axis-secret\n  tls: {client_certificate: c.pem, client_key_file: k}\n"
    )
    assert load(text).axis.tls.client_key is not None


def test_cross_section_problems_are_all_reported() -> None:
    """Duplicate organs, an unknown default sender and a missing key come back together."""
    text = NO_KEY.replace(
        "organs:\n", "organs:\n  - code: 000.00.13.H53\n    name: Again\n"
    ) + "exchange:\n  default_sender: 000.00.00.G22\n"
    assert set(problems(text)) == {
        "organs[1].code",
        "exchange.default_sender",
        "signing.key_file",
    }


def test_folder_names_must_be_distinct() -> None:
    """Two contract folders with one name are refused."""
    found = problems(MINIMAL + "exchange:\n  folders: {inbox: outbox}\n")
    assert "used twice: outbox" in found["exchange.folders"]


def test_folder_names_must_be_plain() -> None:
    """A folder name with a slash (or '..') is refused."""
    found = problems(MINIMAL + "exchange:\n  folders: {sent: a/b, failed: ..}\n")
    assert "plain name" in found["exchange.folders.sent"]
    assert "plain name" in found["exchange.folders.failed"]


def test_yaml_syntax_error_has_line_and_column() -> None:
    """A YAML mistake is reported with its line and column."""
    found = problems("axis:\n  base_url: [unclosed\norgans: []\n")
    (message,) = found.values()
    assert message.startswith("YAML syntax error at line 3, column")


def test_duplicate_yaml_keys_are_errors() -> None:
    """PyYAML would silently keep the last of two equal keys; the loader refuses them."""
    found = problems(MINIMAL + "polling: {}\npolling: {}\n")
    assert "found the key 'polling' twice" in found[""]


def test_error_code_table_merges_overrides() -> None:
    """Overrides add to and replace entries of the built-in LS-LGSP table."""
    config = load(
        MINIMAL.replace(
            "axis-secret\n",
            "axis-secret\n  error_codes:\n    20: {kind: server-error, meaning: Bảo trì}\n"
            "    99: {kind: bad-package, meaning: Khác}\n",
        )
    )
    table = config.axis.error_table()
    assert table["99"].kind is RejectionKind.BAD_PACKAGE
    assert table["20"].meaning == "Bảo trì"
    assert table["15"] == DEFAULT_ERROR_CODES["15"]


def test_local_time_offset_is_a_time_zone() -> None:
    """`+07:00` becomes UTC+7 for request timestamps; a malformed offset is refused."""
    from datetime import timedelta

    assert load(MINIMAL).axis.local_timezone.utcoffset(None) == timedelta(hours=7)
    text = MINIMAL.replace("axis-secret\n", "axis-secret\n  local_time_offset: '-03:30'\n")
    assert load(text).axis.local_timezone.utcoffset(None) == -timedelta(hours=3, minutes=30)
    text = MINIMAL.replace("axis-secret\n", "axis-secret\n  local_time_offset: UTC+7\n")
    assert "+HH:MM" in problems(text)["axis.local_time_offset"]


def test_relative_paths_are_relative_to_the_config_file() -> None:
    """`key_file: keys/org.p12` in /etc/x/agent.yaml means /etc/x/keys/org.p12."""
    text = MINIMAL.replace("/etc/lienthong-agent/signing/organisation.p12", "keys/org.p12")
    config = load_config_text(text, base_dir=Path("/etc/x"), environ={})
    assert config.signing.key_file == Path("/etc/x/keys/org.p12")


def test_status_labels_accept_unquoted_codes() -> None:
    """`mappings.status` keys written as numbers become two-digit codes."""
    config = load(MINIMAL + "mappings:\n  status: {1: Đã đến, 14: Mới}\n")
    assert config.mappings.status == {"01": "Đã đến", "14": "Mới"}


def test_secret_value_is_hidden() -> None:
    """A Secret shows as asterisks in repr, str and f-strings, and cannot be pickled."""
    secret = Secret(b"hunter2")
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret])]
    assert all("hunter2" not in text for text in shown)
    assert secret.reveal() == b"hunter2" and secret.reveal_text() == "hunter2"
    assert secret == Secret(b"hunter2") and secret != Secret(b"other")
    with pytest.raises(TypeError):
        pickle.dumps(secret)
