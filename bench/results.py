"""The figures of one `python -m bench` run, written to build/bench.json and printed as a table.

Shape (issue 16): `{"machine": {...}, "results": [{"name", "value", "unit", "ceiling", "ratio",
"target", "met"}]}`. `ceiling` is what the same machine does without Pantau's work in the same
run (a bare insert, merely reading the rows), `ratio` is value / ceiling (None without a
ceiling). `target` says what is asked, as text a reader understands ("ratio >= 0.5",
"value < 60"); `met` is whether this run met it; both None where the issue sets no target.
"""

from __future__ import annotations

import json
import operator
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import print_table

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


@dataclass
class Result:
    """One figure; see the module's docstring for the fields."""

    name: str
    value: float
    unit: str
    ceiling: float | None = None
    ratio: float | None = None
    target: str | None = None
    met: bool | None = None


class Results:
    """Collects the figures the benchmarks add, in the order they were measured."""

    def __init__(self) -> None:
        self.items: list[Result] = []

    def add(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        ceiling: float | None = None,
        target: str | None = None,
    ) -> Result:
        """Record a figure; ratio from the ceiling, met from the target ("ratio >= 0.5")."""
        ratio = value / ceiling if ceiling else None
        result = Result(name, _round(value), unit, _round(ceiling), _round(ratio), target)
        if target is not None:
            result.met = _meets(target, value=value, ratio=ratio)
        self.items.append(result)
        return result

    def document(self, machine: dict[str, Any]) -> dict[str, Any]:
        """What build/bench.json holds."""
        return {"machine": machine, "results": [asdict(r) for r in self.items]}

    def write(self, path: Path, machine: dict[str, Any]) -> None:
        """Write the JSON document whole (a reader never sees half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.document(machine), indent=2) + "\n")
        tmp.replace(path)

    def print(self) -> None:
        """The figures as one table."""
        print_table(
            "results (build/bench.json)",
            ["name", "value", "unit", "ceiling", "ratio", "target", "met"],
            [
                [
                    r.name,
                    r.value,
                    r.unit,
                    "" if r.ceiling is None else r.ceiling,
                    "" if r.ratio is None else f"{r.ratio:.2f}",
                    r.target or "",
                    "" if r.met is None else ("yes" if r.met else "NO"),
                ]
                for r in self.items
            ],
        )


def _meets(target: str, *, value: float, ratio: float | None) -> bool:
    """Evaluate "value < 60" or "ratio >= 0.5" (the only forms targets take)."""
    subject, op, bound = target.split()
    actual = {"value": value, "ratio": ratio}[subject]
    return actual is not None and _OPS[op](actual, float(bound))


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


def machine() -> dict[str, Any]:
    """What the figures ran on: CPUs, memory, Python, kernel, load when the run started."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
