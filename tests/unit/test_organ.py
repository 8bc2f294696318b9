"""Organ codes (mã định danh) and system ids, AXIS.md §8."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.core.organ import (
    LEVEL1_FAMILIES,
    OrganCode,
    Problem,
    check_organ_code,
    is_organ_code,
    is_system_id,
    parse_organ_code,
    parse_system_id,
)
from agent.errors import OrganCodeError

LEVELS = [
    ("000.00.00.H53", 1),
    ("000.00.13.H53", 2),
    ("000.00.31.H53", 2),
    ("000.22.31.H53", 3),
    ("001.01.07.H53", 4),
    ("000.00.00.G22", 1),
    ("000.00.04.G14", 2),
]


@pytest.mark.parametrize(("text", "level"), LEVELS)
def test_level_of_the_directory_examples(text: str, level: int) -> None:
    """The level is 1 + the non-zero fields among l2, l3, l4, as in the §8.1 table."""
    code = parse_organ_code(text)
    assert code.level == level
    assert str(code) == text


def test_parent_chain_zeroes_the_leftmost_nonzero_field() -> None:
    """000.22.31.H53 -> 000.00.31.H53 -> 000.00.00.H53, the example chain of §8.1."""
    code = parse_organ_code("000.22.31.H53")
    assert [str(a) for a in code.ancestors] == ["000.00.31.H53", "000.00.00.H53"]
    assert str(code.parent) == "000.00.31.H53"
    assert str(code.root) == "000.00.00.H53"
    assert code.is_under(parse_organ_code("000.00.00.H53"))
    assert not code.is_under(parse_organ_code("000.00.13.H53"))


def test_level4_parent_chain_goes_through_every_level() -> None:
    """A level-4 code has three ancestors, the last one the level-1 unit."""
    code = parse_organ_code("001.01.07.H53")
    assert [str(a) for a in code.ancestors] == ["000.01.07.H53", "000.00.07.H53", "000.00.00.H53"]


def test_level1_has_no_parent_and_is_its_own_root() -> None:
    """A ministry or province is the top: no parent, no ancestors, root is itself."""
    code = parse_organ_code("000.00.00.G22")
    assert code.parent is None
    assert code.ancestors == ()
    assert code.root == code


def test_registered_parent_example_fits_the_rule() -> None:
    """The .NET registerAgency example (000.46.24.H44 under 000.00.24.H44) fits the rule."""
    assert str(parse_organ_code("000.46.24.H44").parent) == "000.00.24.H44"


def test_families_and_repr() -> None:
    """G, H and K are the families seen; repr and str show the code as written."""
    code = parse_organ_code("000.00.00.K41")
    assert code.family == "K" and code.family_name == LEVEL1_FAMILIES["K"]
    assert repr(code) == "OrganCode('000.00.00.K41')"
    assert OrganCode.parse("000.00.00.K41") == code


MISTAKES = [
    ("", Problem.EMPTY, "empty"),
    ("   ", Problem.EMPTY, "empty"),
    (" 000.00.13.H53", Problem.WHITESPACE, "whitespace"),
    ("000.00.13.H53\n", Problem.WHITESPACE, "whitespace"),
    ("000.1137.H53", Problem.FIELD_COUNT, "3 dot-separated"),
    ("28.22.H17", Problem.FIELD_COUNT, "3 dot-separated"),
    ("01.02.G22", Problem.FIELD_COUNT, "3 dot-separated"),
    ("null", Problem.FIELD_COUNT, "1 dot-separated"),
    ("000-00-13-H53", Problem.FIELD_COUNT, "1 dot-separated"),
    ("000.00.13.H53.1", Problem.FIELD_COUNT, "5 dot-separated"),
    ("0000.00.13.H53", Problem.FIELD_WIDTH, "exactly 3"),
    ("000.0.13.H53", Problem.FIELD_WIDTH, "exactly 2"),
    ("000.00.13.H5", Problem.FIELD_WIDTH, "exactly 3"),
    ("000.00.1a.H53", Problem.NON_DIGIT, "'a' is not a digit"),
    ("O00.00.13.H53", Problem.NON_DIGIT, "'O' is not a digit"),
    ("000.00.13.h53", Problem.LOWER_CASE, "'H53'"),
    ("001.00.20.TT2", Problem.LEVEL1_SHAPE, "one upper-case letter and two digits"),
    ("000.00.13.153", Problem.LEVEL1_SHAPE, "upper-case letter"),
    ("000.00.١٣.H53", Problem.NON_ASCII, "U+0661"),
    ("000.00.13.Н53", Problem.NON_ASCII, "U+041D"),  # Cyrillic En looks like H
    ("001.00.10.H47", Problem.LEVEL4_WITHOUT_LEVEL3, "no level-3"),
    ("001.01.00.H53", Problem.LEVEL4_WITHOUT_LEVEL2, "no level-2"),
    ("000.22.00.H53", Problem.LEVEL3_WITHOUT_LEVEL2, "no level-2"),
    ("00.53.W00", Problem.SYSTEM_ID, "is a system id"),
    ("001.03.41.W00", Problem.SYSTEM_ID, "is a system id"),
    ("vxp.saas.03", Problem.SYSTEM_ID, "is a system id"),
]


@pytest.mark.parametrize(("text", "kind", "fragment"), MISTAKES)
def test_each_mistake_has_its_own_message(text: str, kind: Problem, fragment: str) -> None:
    """The strict parse names the mistake; the lenient check reports the same kind."""
    with pytest.raises(OrganCodeError) as caught:
        parse_organ_code(text)
    assert fragment in caught.value.message
    assert caught.value.hint and "LLL.KK.JJ.XNN" in caught.value.hint
    check = check_organ_code(text)
    assert kind in [p.kind for p in check.problems]
    assert not check.ok and check.warnings
    assert not is_organ_code(text)


def test_lenient_check_keeps_a_readable_code_that_breaks_a_sanity_rule() -> None:
    """A registered code like 001.00.10.H47 breaks a sanity rule, yet the check still reads it."""
    check = check_organ_code("001.00.10.H47")
    assert check.code is not None and str(check.code) == "001.00.10.H47"
    assert check.code.level == 3 and str(check.code.parent) == "000.00.10.H47"


def test_unknown_family_is_a_warning_not_an_error() -> None:
    """Letters other than G, H, K are unknown (§8.2): strict parse accepts, check warns."""
    assert parse_organ_code("000.00.13.A53").family == "A"
    check = check_organ_code("000.00.13.A53")
    assert [p.kind for p in check.problems] == [Problem.UNKNOWN_FAMILY]


def test_long_garbage_is_cut_in_the_message() -> None:
    """A hostile 10 000-character input does not end up whole in the message."""
    with pytest.raises(OrganCodeError) as caught:
        parse_organ_code("9" * 10_000)
    assert len(caught.value.message) < 200


@pytest.mark.parametrize("text", ["00.53.W00", "02.44.W00", "001.03.41.W00", "vxp.saas.03",
                                  "test.system.01", "000.00.41.W00"])
def test_system_ids_seen_are_accepted(text: str) -> None:
    """The system ids of §8.1 pass the lenient pattern."""
    assert parse_system_id(text) == text
    assert is_system_id(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("000.00.13.H53", "is an organ code (mã định danh), not a system id"),
        ("VXP.SAAS.03", "must be lower case"),
        ("", "empty"),
        ("vxp.saas.03 ", "whitespace"),
        ("vxp saas", "is not a system id"),
        ("vxp", "is not a system id"),
    ],
)
def test_bad_system_ids_are_refused_with_a_reason(text: str, fragment: str) -> None:
    """A system id check names what is wrong, including an organ code given in its place."""
    with pytest.raises(OrganCodeError) as caught:
        parse_system_id(text)
    assert fragment in caught.value.message


codes = st.builds(
    lambda l4, l3, l2, l1: f"{l4:03d}.{l3:02d}.{l2:02d}.{l1}",
    st.integers(0, 999), st.integers(0, 99), st.integers(0, 99),
    st.sampled_from(["G22", "H53", "K41", "A53"]),
)


@given(codes)
def test_chain_properties(text: str) -> None:
    """For any readable code: str round-trips, each ancestor is one level up, ending at the root."""
    code = check_organ_code(text).code
    assert code is not None and str(code) == text
    levels = [a.level for a in code.ancestors]
    assert levels == sorted(levels, reverse=True)
    assert len(levels) == code.level - 1
    assert all(a.level == 1 for a in code.ancestors[-1:])
    assert (code.ancestors[-1] if code.ancestors else code) == code.root


@given(st.text(max_size=30))
def test_check_never_raises_and_agrees_with_parse(text: str) -> None:
    """The lenient check never raises; the strict parse fails exactly on a non-family problem."""
    check = check_organ_code(text)
    blocking = [p for p in check.problems if p.kind is not Problem.UNKNOWN_FAMILY]
    assert is_organ_code(text) == (not blocking)
