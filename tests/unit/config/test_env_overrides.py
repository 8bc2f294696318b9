"""Environment overrides: LIENTHONG_<SECTION>__<KEY>=value sets section.key."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import InvalidConfigError, env_overrides, load_config_text
from tests.unit.config.test_schema import MINIMAL


def test_override_sets_a_nested_key() -> None:
    """LIENTHONG_AXIS__BASE_URL replaces axis.base_url; types come from the schema."""
    env = {
        "LIENTHONG_AXIS__BASE_URL": "http://127.0.0.1:8080",
        "LIENTHONG_RETRY__MAX_ATTEMPTS": "5",
        "LIENTHONG_PICKUP__USE_NOTIFICATIONS": "false",
    }
    config = load_config_text(MINIMAL, environ=env)
    assert str(config.axis.base_url) == "http://127.0.0.1:8080/"
    assert config.retry.max_attempts == 5
    assert config.pickup.use_notifications is False


def test_override_reaches_list_items_and_lists() -> None:
    """A numeric part indexes a list; a value starting with '[' is read as a YAML list."""
    env = {
        "LIENTHONG_ORGANS__0__NAME": "Sở Nội vụ",
        "LIENTHONG_VERIFICATION__TRUST_ANCHORS": "[/etc/a.pem, /etc/b.pem]",
    }
    config = load_config_text(MINIMAL, environ=env)
    assert config.organs[0].name == "Sở Nội vụ"
    assert config.verification.trust_anchors == [Path("/etc/a.pem"), Path("/etc/b.pem")]


def test_null_clears_an_optional_key() -> None:
    """`null` removes a value given in the file."""
    text = MINIMAL + "validation:\n  max_subject_length: 500\n"
    config = load_config_text(text, environ={"LIENTHONG_VALIDATION__MAX_SUBJECT_LENGTH": "null"})
    assert config.validation.max_subject_length is None


def test_bad_override_names_the_variable() -> None:
    """A wrong value from the environment is reported with the variable that set it."""
    env = {"LIENTHONG_RETRY__MAX_ATTEMPTS": "lots", "LIENTHONG_NOPE__X": "1"}
    with pytest.raises(InvalidConfigError) as caught:
        load_config_text(MINIMAL, environ=env)
    text = [str(p) for p in caught.value.problems]
    assert "At 'nope' (from LIENTHONG_NOPE__X): unknown key" in text
    assert any(t.startswith("At 'retry.max_attempts' (from LIENTHONG_RETRY__MAX_ATTEMPTS)")
               for t in text)


def test_override_of_a_missing_list_item_is_a_problem() -> None:
    """Indexing past the end of a list is reported, not silently ignored."""
    with pytest.raises(InvalidConfigError) as caught:
        load_config_text(MINIMAL, environ={"LIENTHONG_ORGANS__3__NAME": "x"})
    (problem,) = caught.value.problems
    assert (problem.path, problem.source) == ("organs[3].name", "LIENTHONG_ORGANS__3__NAME")


def test_other_lienthong_variables_are_not_overrides() -> None:
    """Variables without '__' (LIENTHONG_REQUIRE_TOOLS used by CI) are left alone."""
    env = {"LIENTHONG_REQUIRE_TOOLS": "1", "PATH": "/bin", "LIENTHONG_LOGGING__LEVEL": "debug"}
    assert [name for _, _, name in env_overrides(env)] == ["LIENTHONG_LOGGING__LEVEL"]


def test_state_directory_sets_the_default_journal_path() -> None:
    """Without journal.path, the journal lives in $STATE_DIRECTORY (first entry)."""
    env = {"STATE_DIRECTORY": "/var/lib/lienthong-agent:/var/lib/other"}
    config = load_config_text(MINIMAL, environ=env)
    assert config.journal.path == Path("/var/lib/lienthong-agent/journal.sqlite3")
    config = load_config_text(MINIMAL, environ={"STATE_DIRECTORY": "/srv/state"})
    assert config.journal.path == Path("/srv/state/journal.sqlite3")
