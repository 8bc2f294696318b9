"""Fault injection: seeded, per operation, set at start (``--fault``) and at run time (admin API).

A :class:`FaultRule` names a kind, the operations it applies to (none = all), a probability
``rate`` and an optional cap ``times``. For every request, each rule matching the operation draws
one number from a single :class:`random.Random` seeded with ``--fault-seed``, so the same sequence
of requests meets the same faults. Kinds:

============  =========================================================================  =========
kind          effect                                                                     processed
============  =========================================================================  =========
latency       wait ``seconds`` before handling                                           yes
5xx           answer HTTP ``status`` (503) with a short text body                        no
429           answer HTTP 429 with ``Retry-After: retry_after``                          no
reset         close the TCP connection with a reset (RST), no answer                     no
hang          accept, read the request, answer nothing for ``seconds`` (600) then close  no
drop          handle the request fully, then close the connection without answering:    yes
              the lost acknowledgement (sendEdoc stored, updateStatus recorded...)
malformed     handle the request, answer HTTP 200 with truncated, invalid JSON           yes
duplicate     getReceivedEdocList lists again an item the caller already acknowledged   yes
              (same docId, status ``initial``), or repeats a row when there is none
reorder       getReceivedEdocList returns the items in a shuffled order                  yes
============  =========================================================================  =========

Spec syntax (``--fault``): ``KIND[,key=value...]`` with keys ``ops`` (``+``-separated operation
names), ``rate``, ``times``, ``seconds``, ``status``, ``retry_after``. Example:
``--fault 5xx,ops=sendEdoc+getEdoc,rate=0.2,status=502``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from agent.errors import ConfigError


class FaultKind(StrEnum):
    LATENCY = "latency"
    ERROR_5XX = "5xx"
    RATE_LIMIT = "429"
    RESET = "reset"
    HANG = "hang"
    DROP = "drop"
    MALFORMED = "malformed"
    DUPLICATE = "duplicate"
    REORDER = "reorder"


#: Faults that replace the handling of the request (the first one drawn wins).
BEFORE = (FaultKind.ERROR_5XX, FaultKind.RATE_LIMIT, FaultKind.RESET, FaultKind.HANG)
#: Faults that spoil the answer of a request that was handled.
AFTER = (FaultKind.DROP, FaultKind.MALFORMED)
_DEFAULT_SECONDS = {FaultKind.LATENCY: 0.2, FaultKind.HANG: 600.0}


@dataclass(frozen=True, slots=True)
class FaultRule:
    kind: FaultKind
    ops: frozenset[str] = frozenset()  # lower-case operation names; empty = every operation
    rate: float = 1.0
    times: int | None = None
    seconds: float | None = None  # latency / hang duration
    status: int = 503
    retry_after: int = 1

    def __post_init__(self) -> None:
        """Operation names match case-insensitively: keep them lower-case."""
        object.__setattr__(self, "kind", FaultKind(self.kind))
        object.__setattr__(self, "ops", frozenset(o.lower() for o in self.ops))

    def applies_to(self, op: str) -> bool:
        return not self.ops or op.lower() in self.ops

    @property
    def duration(self) -> float:
        return self.seconds if self.seconds is not None else _DEFAULT_SECONDS.get(self.kind, 0.0)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"], out["ops"] = self.kind.value, sorted(self.ops)
        return out


@dataclass(slots=True)
class Decision:
    """What to do to one request."""

    latency: float = 0.0
    before: FaultRule | None = None
    after: FaultRule | None = None
    duplicate: bool = False
    shuffle: random.Random | None = None
    fired: list[FaultRule] = field(default_factory=list)


class FaultPlan:
    """The rules in force, their seeded random source and how often each fired."""

    def __init__(self, rules: Iterable[FaultRule] = (), seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.set(rules, seed)

    def set(self, rules: Iterable[FaultRule], seed: int) -> None:
        with self._lock:
            self.rules = tuple(rules)
            self.seed = seed
            self._rng = random.Random(seed)  # noqa: S311 - reproducible faults, not cryptography
            self._fired = [0] * len(self.rules)

    def decide(self, op: str) -> Decision:
        decision = Decision()
        with self._lock:
            for i, rule in enumerate(self.rules):
                if not rule.applies_to(op):
                    continue
                draw = self._rng.random()
                if draw >= rule.rate or (rule.times is not None and self._fired[i] >= rule.times):
                    continue
                if _apply(decision, rule, self._rng):
                    self._fired[i] += 1
                    decision.fired.append(rule)
        return decision

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            pairs = zip(self.rules, self._fired, strict=True)
            return {"seed": self.seed, "rules": [r.to_dict() | {"fired": n} for r, n in pairs]}


def _apply(decision: Decision, rule: FaultRule, rng: random.Random) -> bool:
    """Fold ``rule`` into ``decision``; False when an earlier rule already took its place."""
    kind = rule.kind
    if kind is FaultKind.LATENCY:
        decision.latency += rule.duration
    elif kind in BEFORE:
        if decision.before is not None:
            return False
        decision.before = rule
    elif kind in AFTER:
        if decision.after is not None:
            return False
        decision.after = rule
    elif kind is FaultKind.DUPLICATE:
        decision.duplicate = True
    else:
        decision.shuffle = random.Random(rng.random())  # noqa: S311 - reproducible order
    return True


def rule_from_mapping(data: Mapping[str, Any], *, where: str = "fault") -> FaultRule:
    """A rule from the admin API's JSON or a parsed ``--fault`` spec."""
    try:
        kind = FaultKind(str(data["kind"]))
    except (KeyError, ValueError):
        kinds = ", ".join(k.value for k in FaultKind)
        raise ConfigError(f"At '{where}.kind': expected one of {kinds}") from None
    ops = data.get("ops") or ()
    if isinstance(ops, str):
        ops = ops.split("+")
    rule = FaultRule(kind, frozenset(str(o).strip().lower() for o in ops if str(o).strip()))
    numbers: dict[str, Any] = {}
    try:
        numbers = {k: _number(k, data[k]) for k in _NUMBERS if data.get(k) is not None}
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"At '{where}': {exc}") from None
    rule = replace(rule, **numbers)
    unknown = set(data) - {"kind", "ops", "fired", *_NUMBERS}
    if unknown:
        raise ConfigError(f"At '{where}': unknown key(s) {', '.join(sorted(unknown))}")
    if not 0.0 <= rule.rate <= 1.0:
        raise ConfigError(f"At '{where}.rate': a probability between 0 and 1")
    return rule


_NUMBERS = {"rate": float, "times": int, "seconds": float, "status": int, "retry_after": int}


def _number(key: str, value: Any) -> float | int:
    number: float | int = _NUMBERS[key](value)
    if number < 0:
        raise ValueError(f"{key} must not be negative")
    return number


def parse_fault_spec(text: str) -> FaultRule:
    """``KIND[,key=value...]`` from ``--fault`` (syntax in the module docstring)."""
    head, *pairs = [p.strip() for p in text.split(",") if p.strip()] or [""]
    data: dict[str, Any] = {"kind": head.removeprefix("kind=")}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"At '--fault {text}': expected key=value, got {pair!r}")
        data[key.strip()] = value.strip()
    return rule_from_mapping(data, where=f"--fault {text}")


def plan_from_mapping(data: object) -> tuple[list[FaultRule], int]:
    """``{"seed": N, "rules": [...]}`` from the admin API."""
    if not isinstance(data, Mapping):
        raise ConfigError("At 'faults': expected {\"seed\": N, \"rules\": [...]}")
    rules = data.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
        raise ConfigError("At 'faults.rules': expected a list of objects")
    seed = data.get("seed", 0)
    if not isinstance(seed, int):
        raise ConfigError("At 'faults.seed': expected an integer")
    return [rule_from_mapping(r, where=f"rules[{i}]") for i, r in enumerate(rules)], seed
