"""Mã định danh (organisation codes) and system ids, AXIS.md §8.

An organ code is ``LLL.KK.JJ.XNN``: four dot-separated fields written from the lowest level up.
``XNN`` (an upper-case letter and two digits) is the level-1 unit, a ministry (``G22``) or a
province (``H53``); ``JJ`` is the level-2 unit inside it, ``KK`` level 3, ``LLL`` level 4. Unused
fields are zeros, so ``000.22.31.H53`` (a commune) is level 3 and its parent is ``000.00.31.H53``.

Two ways in, because real data holds malformed codes and the directory wins over the regex (§8.1):

- :func:`parse_organ_code` is strict: it returns an :class:`OrganCode` or raises
  :class:`~agent.errors.OrganCodeError` naming the first mistake found.
- :func:`check_organ_code` never raises: it returns every problem as a warning, plus the code when
  its shape is readable (``001.00.10.H47`` breaks a sanity rule, yet is registered).

System ids (``00.53.W00``, ``vxp.saas.03``) name a connected system or centre, not an organ:
:func:`parse_system_id` checks one and refuses an organ code given in its place, and
:func:`parse_organ_code` refuses a system id given where an organ code is expected.

The computed :attr:`OrganCode.parent` follows the rule of §8.1 (zero the left-most non-zero field);
some registered units do not fit it, so a directory's ``pcode`` must win where one is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from agent.errors import OrganCodeError

ORGAN_CODE_PATTERN = re.compile(
    r"^(?P<l4>[0-9]{3})\.(?P<l3>[0-9]{2})\.(?P<l2>[0-9]{2})\.(?P<l1>[A-Z][0-9]{2})$"
)
SYSTEM_ID_PATTERN = re.compile(
    r"^([0-9]{2,3}\.[0-9]{2}\.[0-9]{2}\.W00|[0-9]{2}\.[0-9]{2}\.W00|[a-z0-9]+(\.[a-z0-9]+)+)$"
)

#: Level-1 letter families seen on the axis (§8.2). Other letters are unknown, not invalid.
LEVEL1_FAMILIES: dict[str, str] = {
    "G": "bộ, cơ quan ngang bộ, cơ quan trung ương (ministry or central body)",
    "H": "UBND tỉnh, thành phố (province)",
    "K": "văn phòng HĐND tỉnh (provincial people's council office)",
}
SYSTEM_LETTER = "W"

_FORMAT = "LLL.KK.JJ.XNN, e.g. 000.00.13.H53"
_FIELDS = (  # name, width, what it holds; in written order
    ("LLL", 3, "level 4"),
    ("KK", 2, "level 3"),
    ("JJ", 2, "level 2"),
    ("XNN", 3, "level 1"),
)
_MAX_SHOWN = 40


class Problem(Enum):
    """The kinds of mistake :func:`check_organ_code` reports; values are stable slugs."""

    EMPTY = "empty"
    WHITESPACE = "whitespace"
    NON_ASCII = "non-ascii"
    SYSTEM_ID = "system-id"
    FIELD_COUNT = "field-count"
    FIELD_WIDTH = "field-width"
    NON_DIGIT = "non-digit"
    LOWER_CASE = "lower-case"
    LEVEL1_SHAPE = "level1-shape"
    LEVEL4_WITHOUT_LEVEL3 = "level4-without-level3"
    LEVEL4_WITHOUT_LEVEL2 = "level4-without-level2"
    LEVEL3_WITHOUT_LEVEL2 = "level3-without-level2"
    UNKNOWN_FAMILY = "unknown-family"


# Problems that still leave a readable code (the shape matches the strict regex).
_SANITY = {
    Problem.LEVEL4_WITHOUT_LEVEL3,
    Problem.LEVEL4_WITHOUT_LEVEL2,
    Problem.LEVEL3_WITHOUT_LEVEL2,
    Problem.UNKNOWN_FAMILY,
}


@dataclass(frozen=True, slots=True)
class OrganCodeProblem:
    """One thing wrong with an organ code: a stable ``kind`` and an operator-facing message."""

    kind: Problem
    message: str


@dataclass(frozen=True, slots=True, order=True)
class OrganCode:
    """A mã định danh whose shape matches the strict regex; ``str()`` gives it back as written."""

    l1: str
    l2: str
    l3: str
    l4: str

    @classmethod
    def parse(cls, text: str) -> OrganCode:
        """Strict parse; the same as :func:`parse_organ_code`."""
        return parse_organ_code(text)

    def __str__(self) -> str:
        return f"{self.l4}.{self.l3}.{self.l2}.{self.l1}"

    def __repr__(self) -> str:
        return f"OrganCode({str(self)!r})"

    @property
    def level(self) -> int:
        """1 + the number of non-zero fields among level 2, 3 and 4."""
        return 1 + sum(1 for field in (self.l2, self.l3, self.l4) if int(field))

    @property
    def family(self) -> str:
        """The level-1 letter: ``G`` ministries, ``H`` provinces, ``K`` HĐND offices, ..."""
        return self.l1[0]

    @property
    def family_name(self) -> str | None:
        """What the level-1 letter stands for, or None when it is not one seen on the axis."""
        return LEVEL1_FAMILIES.get(self.family)

    @property
    def parent(self) -> OrganCode | None:
        """The computed parent (left-most non-zero field zeroed); None at level 1."""
        if int(self.l4):
            return OrganCode(self.l1, self.l2, self.l3, "000")
        if int(self.l3):
            return OrganCode(self.l1, self.l2, "00", self.l4)
        if int(self.l2):
            return OrganCode(self.l1, "00", self.l3, self.l4)
        return None

    @property
    def ancestors(self) -> tuple[OrganCode, ...]:
        """Parent, grandparent, ... up to and including the level-1 unit; empty at level 1."""
        chain: list[OrganCode] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return tuple(chain)

    @property
    def root(self) -> OrganCode:
        """The level-1 unit (ministry or province) this code sits under; itself at level 1."""
        return OrganCode(self.l1, "00", "00", "000")

    def is_under(self, other: OrganCode) -> bool:
        """True when ``other`` is one of the computed ancestors of this code."""
        return other in self.ancestors


@dataclass(frozen=True, slots=True)
class OrganCodeCheck:
    """The lenient verdict: ``code`` when the shape is readable, and every problem found."""

    text: str
    code: OrganCode | None
    problems: tuple[OrganCodeProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(p.message for p in self.problems)


def parse_organ_code(text: str) -> OrganCode:
    """Parse a mã định danh strictly; raise :class:`OrganCodeError` on the first problem.

    An unknown level-1 letter is not an error (§8.2: letters other than G, H, K are unknown).
    """
    check = check_organ_code(text)
    errors = [p for p in check.problems if p.kind is not Problem.UNKNOWN_FAMILY]
    if errors:
        raise OrganCodeError(errors[0].message, hint=f"a mã định danh is written {_FORMAT}")
    assert check.code is not None  # no error means the strict regex matched
    return check.code


def is_organ_code(text: str) -> bool:
    """True when ``text`` passes :func:`parse_organ_code`."""
    try:
        parse_organ_code(text)
    except OrganCodeError:
        return False
    return True


def check_organ_code(text: str) -> OrganCodeCheck:
    """Lenient check: never raises; lists every problem, and the code when its shape is readable."""
    problems = _shape_problems(text)
    if problems:
        return OrganCodeCheck(text, None, tuple(problems))
    match = ORGAN_CODE_PATTERN.match(text)
    assert match is not None  # _shape_problems found nothing wrong with the shape
    code = OrganCode(match["l1"], match["l2"], match["l3"], match["l4"])
    return OrganCodeCheck(text, code, tuple(_sanity_problems(code)))


def _shown(text: str) -> str:
    """The input as quoted in messages: repr-escaped and cut short."""
    cut = text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"
    return repr(cut)


def _shape_problems(text: str) -> list[OrganCodeProblem]:
    shown = _shown(text)
    if not text.strip():
        return [OrganCodeProblem(Problem.EMPTY, "the organ code (mã định danh) is empty")]
    if text != text.strip():
        msg = f"organ code {shown} has leading or trailing whitespace"
        return [OrganCodeProblem(Problem.WHITESPACE, msg)]
    if SYSTEM_ID_PATTERN.match(text) and not _organ_code_typo(text):
        msg = (
            f"{shown} is a system id (mã hệ thống, the axis account of a centre), "
            "not an organ code (mã định danh)"
        )
        return [OrganCodeProblem(Problem.SYSTEM_ID, msg)]
    if not text.isascii():
        bad = next(ch for ch in text if not ch.isascii())
        msg = f"organ code {shown} contains the non-ASCII character {bad!r} (U+{ord(bad):04X})"
        return [OrganCodeProblem(Problem.NON_ASCII, msg)]
    fields = text.split(".")
    if len(fields) != len(_FIELDS):
        msg = (
            f"organ code {shown} has {len(fields)} dot-separated field(s); "
            f"a mã định danh has 4 ({_FORMAT})"
        )
        return [OrganCodeProblem(Problem.FIELD_COUNT, msg)]
    problems: list[OrganCodeProblem] = []
    for (name, width, what), value in zip(_FIELDS, fields, strict=True):
        problems += _field_problems(shown, name, width, what, value)
    return problems


def _organ_code_typo(text: str) -> bool:
    """``000.00.13.h53`` or ``000.00.13.153`` fit the lenient system-id pattern, yet have the
    widths of an organ code and no ``W00``: report them as a mistyped organ code."""
    fields = text.split(".")
    widths = tuple(len(f) for f in fields)
    return widths == (3, 2, 2, 3) and fields[3].upper() != SYSTEM_LETTER + "00"


def _field_problems(
    shown: str, name: str, width: int, what: str, value: str
) -> list[OrganCodeProblem]:
    where = f"organ code {shown}: field {name} ({what}) is {value!r}"
    if len(value) != width:
        msg = f"{where}; it must be exactly {width} characters"
        return [OrganCodeProblem(Problem.FIELD_WIDTH, msg)]
    if name != "XNN":
        bad = [ch for ch in value if not ch.isdigit()]
        if bad:
            msg = f"{where}; it must be {width} digits, {bad[0]!r} is not a digit"
            return [OrganCodeProblem(Problem.NON_DIGIT, msg)]
        return []
    return _level1_problems(where, value)


def _level1_problems(where: str, value: str) -> list[OrganCodeProblem]:
    letter, digits = value[0], value[1:]
    if not digits.isdigit():
        msg = f"{where}; it must be one upper-case letter and two digits, like H53 or G22"
        return [OrganCodeProblem(Problem.LEVEL1_SHAPE, msg)]
    if letter.islower():
        msg = f"{where}; the letter must be upper case: {value.upper()!r}"
        return [OrganCodeProblem(Problem.LOWER_CASE, msg)]
    if not letter.isalpha():
        msg = f"{where}; it must start with an upper-case letter, like H53 or G22"
        return [OrganCodeProblem(Problem.LEVEL1_SHAPE, msg)]
    return []


def _sanity_problems(code: OrganCode) -> list[OrganCodeProblem]:
    shown = _shown(str(code))
    l2, l3, l4 = int(code.l2), int(code.l3), int(code.l4)
    problems: list[OrganCodeProblem] = []
    if l4 and not l3:
        msg = f"organ code {shown} has a level-4 field ({code.l4}) but no level-3 field (KK = 00)"
        problems.append(OrganCodeProblem(Problem.LEVEL4_WITHOUT_LEVEL3, msg))
    if l4 and not l2:
        msg = f"organ code {shown} has a level-4 field ({code.l4}) but no level-2 field (JJ = 00)"
        problems.append(OrganCodeProblem(Problem.LEVEL4_WITHOUT_LEVEL2, msg))
    if l3 and not l2:
        msg = f"organ code {shown} has a level-3 field ({code.l3}) but no level-2 field (JJ = 00)"
        problems.append(OrganCodeProblem(Problem.LEVEL3_WITHOUT_LEVEL2, msg))
    if code.family not in LEVEL1_FAMILIES:
        msg = (
            f"organ code {shown}: level-1 letter {code.family!r} is not one seen on the axis "
            f"({', '.join(sorted(LEVEL1_FAMILIES))}); check it against the directory"
        )
        problems.append(OrganCodeProblem(Problem.UNKNOWN_FAMILY, msg))
    return problems


def is_system_id(text: str) -> bool:
    """True when ``text`` matches the lenient system id pattern of §8.1."""
    return SYSTEM_ID_PATTERN.match(text) is not None


def parse_system_id(text: str) -> str:
    """Check a system id (``00.53.W00``, ``vxp.saas.03``); return it or raise OrganCodeError."""
    if is_system_id(text):
        return text
    raise OrganCodeError(_system_id_message(text), hint=_SYSTEM_ID_HINT)


_SYSTEM_ID_HINT = (
    "a system id is the axis account of the connected system: like 00.53.W00, 000.00.41.W00 "
    "or vxp.saas.03 (lower-case letters, digits and dots)"
)


def _system_id_message(text: str) -> str:
    shown = _shown(text)
    if not text.strip():
        return "the system id is empty"
    if text != text.strip():
        return f"system id {shown} has leading or trailing whitespace"
    if ORGAN_CODE_PATTERN.match(text):
        return (
            f"{shown} is an organ code (mã định danh), not a system id; use the system id "
            "the axis operator issued with the secret"
        )
    if is_system_id(text.lower()):
        return f"system id {shown} must be lower case: {text.lower()!r}"
    return f"{shown} is not a system id"
