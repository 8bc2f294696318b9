"""Settings the sandbox reads: fault specs, registry sources, the error table, the seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.core.organ import check_organ_code
from agent.errors import ConfigError
from agent.sandbox import FaultKind, load_seed, parse_fault_spec
from agent.sandbox.codes import Failure, error_table_from_mapping
from agent.sandbox.registry import load_registry_file, parse_organ_option, registry_from_sources


def test_fault_spec_syntax() -> None:
    """KIND,key=value...: operations joined with +, numbers typed, names lower-cased."""
    rule = parse_fault_spec("429,ops=getEdoc+sendEdoc,rate=0.25,times=3,retry_after=9")
    assert (FaultKind.RATE_LIMIT, frozenset({"getedoc", "sendedoc"}), 0.25, 3, 9) == (
        rule.kind, rule.ops, rule.rate, rule.times, rule.retry_after)
    assert 0.2 == parse_fault_spec("latency").duration
    assert 600.0 == parse_fault_spec("hang").duration


@pytest.mark.parametrize("spec", ["meteor", "5xx,rate=2", "5xx,rate", "drop,colour=red",
                                  "latency,seconds=-1"])
def test_bad_fault_specs_are_refused(spec: str) -> None:
    """Unknown kinds, probabilities outside 0..1, missing values, unknown keys, negatives."""
    with pytest.raises(ConfigError):
        parse_fault_spec(spec)


def test_secrets_from_the_environment_and_files(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """--system ID=env:NAME and ID=file:PATH read the secret there; repr never shows it."""
    monkeypatch.setenv("AXIS_SECRET_TN", "from-env")
    (tmp_path / "secret").write_text("from-file\n")
    registry = registry_from_sources(
        seed=False, files=[],
        systems=["00.53.W00=env:AXIS_SECRET_TN", f"00.36.W00=file:{tmp_path / 'secret'}"],
        organs=["000.00.13.H53@00.53.W00=Sở TT&TT"])
    assert ["from-env", "from-file"] == [s.secret for s in registry.systems]
    assert "from-env" not in repr(registry)
    assert ("000.00.13.H53", "00.53.W00", "Sở TT&TT") == (
        registry.organs[0].code, registry.organs[0].system_id, registry.organs[0].name)


def test_registry_file_errors_name_their_path(tmp_path: Path) -> None:
    """A registry problem says where it is (file, list index, key)."""
    path = tmp_path / "registry.yaml"
    path.write_text("systems:\n  - id: 00.53.W00\n    secret: x\n    organs:\n"
                    "      - {code: 000.00.13.H53, colour: blue}\n")
    with pytest.raises(ConfigError) as caught:
        load_registry_file(path)
    assert "systems[0].organs[0]" in str(caught.value) and "colour" in str(caught.value)
    with pytest.raises(ConfigError):
        parse_organ_option("000.00.13.H53")


def test_error_table_overrides_and_refusals() -> None:
    """Entries can be replaced by name; unknown names and the success code are refused."""
    table = error_table_from_mapping({"auth": {"code": "401", "desc": "Unauthorized"}})
    assert ("401", "18") == (table.entry(Failure.AUTH).code,
                             table.entry(Failure.RECIPIENT_UNKNOWN).code)
    for bad in ({"nonsense": {"code": "1"}}, {"auth": {"code": "0"}}, {"auth": "401"}):
        with pytest.raises(ConfigError):
            error_table_from_mapping(bad)


def test_the_seed_is_consistent() -> None:
    """Every seed organ has a well-formed code, a known system, a unique code; G22 and H53 exist."""
    seed = load_seed()
    systems = {s.id for s in seed.systems}
    codes = [o.code for o in seed.organs]
    problems = [(o.code, check_organ_code(o.code).warnings) for o in seed.organs
                if not check_organ_code(o.code).ok]
    assert ([], set()) == (problems, {o.system_id for o in seed.organs} - systems)
    assert len(codes) == len(set(codes))
    assert {"000.00.00.G22", "000.00.00.H53", "000.00.13.H53", "000.00.31.H53",
            "000.22.31.H53"} <= set(codes)
    levels = {check_organ_code(c).code.level for c in codes}  # type: ignore[union-attr]
    assert {1, 2, 3, 4} == levels
