"""Figures, their baselines and targets; the printed table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    """A goal such as ``>= 200 doc/s``: ``at_least`` True for throughputs, False for costs."""

    value: float
    at_least: bool

    def met(self, measured: float) -> bool:
        return measured >= self.value if self.at_least else measured < self.value

    def text(self, unit: str) -> str:
        return f"{'>=' if self.at_least else '<'} {_num(self.value)} {unit}"


@dataclass
class Figure:
    """One measured figure with the baseline measured beside it in the same run."""

    section: str
    name: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    baseline_unit: str = ""
    target: Target | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.target is None:
            return ""
        return "met" if self.target.met(self.value) else "MISSED"

    def row(self) -> list[str]:
        base = "" if self.baseline is None else \
            f"{_num(self.baseline)} {self.baseline_unit or self.unit}"
        target = "" if self.target is None else self.target.text(self.unit)
        return [self.section, self.name, f"{_num(self.value)} {self.unit}",
                self.baseline_name, base, target, self.status]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = None if self.target is None else {
            "value": self.target.value, "at_least": self.target.at_least,
            "text": self.target.text(self.unit)}
        data["status"] = self.status
        return data


def _num(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


HEADERS = ["section", "figure", "value", "baseline", "baseline value", "target", "status"]


def table(figures: list[Figure]) -> str:
    rows = [HEADERS] + [f.row() for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  [{f.section}] {f.name}: {f.note}" for f in figures if f.note]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": sys.version.split()[0],
            "platform": platform.platform(), "load_average_at_start": os.getloadavg()}


def write_json(path: Path, figures: list[Figure], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**meta, "machine": machine(), "figures": [f.to_dict() for f in figures]}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
