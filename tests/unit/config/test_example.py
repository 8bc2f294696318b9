"""The example configuration is generated from the schema, documents every key and validates."""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from agent.config import AgentConfig, generate_example, load_config_text

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "agent.example.yaml"


def _models(model: type[BaseModel]) -> list[type[BaseModel]]:
    found = [model]
    for field in model.model_fields.values():
        for candidate in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                found += _models(candidate)
    return found


def test_committed_example_is_current() -> None:
    """config/agent.example.yaml equals what the schema generates (regenerate with
    `lienthong-agent config generate -o config/agent.example.yaml --force`)."""
    assert EXAMPLE.read_text(encoding="utf-8") == generate_example()


def test_example_validates_as_is() -> None:
    """The generated example is a valid configuration without edits."""
    config = load_config_text(generate_example(), environ={})
    assert config.axis.secret.credential == "axis-secret"
    assert config.signing.key_password is not None


def test_every_key_has_a_description() -> None:
    """No schema field lacks the description that becomes its comment."""
    missing = [
        f"{model.__name__}.{name}"
        for model in _models(AgentConfig)
        for name, field in model.model_fields.items()
        if not (field.description and len(field.description) > 10)
    ]
    assert missing == []


def test_every_optional_key_has_an_example() -> None:
    """Keys without a default or defaulting to empty show an example in the generated file."""
    missing = []
    for model in _models(AgentConfig):
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            nested = any(
                isinstance(c, type) and issubclass(c, BaseModel)
                for c in (field.annotation, *typing.get_args(field.annotation))
            )
            optional = field.default is None or field.is_required()
            if optional and not nested and "example" not in extra:
                missing.append(f"{model.__name__}.{name}")
    assert [m for m in missing if not m.startswith("AxisErrorCode.")] == []


def test_every_key_appears_with_a_comment_above_it() -> None:
    """Each key of every section is in the example, preceded by a comment line."""
    lines = generate_example().splitlines()
    for model in _models(AgentConfig):
        if model.__name__ == "AxisErrorCode":
            continue  # only inside the commented example of axis.error_codes
        for name in model.model_fields:
            index = next(
                i for i, line in enumerate(lines)
                if line.lstrip("# ").startswith(f"{name}:")
            )
            assert lines[index - 1].lstrip().startswith("#"), name
