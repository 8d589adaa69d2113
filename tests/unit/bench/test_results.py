"""build/bench.json as issue 16 shapes it, and `python -m bench --help` (no benchmark runs)."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.results import Results, machine

FIELDS = ["name", "value", "unit", "ceiling", "ratio", "target", "met"]


def test_the_document_has_the_issues_shape_with_ratio_and_met(tmp_path):
    results = Results()
    results.add(
        "webhook intake, sqlite", 300.0, "requests/s", ceiling=1000.0, target="ratio >= 0.5"
    )
    results.add("district re-score", 42.5, "s", target="value < 60")
    results.add("bench run, wall time", 600.0, "s")
    out = tmp_path / "build" / "bench.json"

    results.write(out, machine())

    doc = json.loads(out.read_text())
    assert sorted(doc) == ["machine", "results"]
    assert doc["machine"]["cpus"] >= 1
    assert [list(r) for r in doc["results"]] == [FIELDS] * 3
    webhook, rescore, wall = doc["results"]
    assert (webhook["ratio"], webhook["met"]) == (0.3, False)
    assert (rescore["ceiling"], rescore["ratio"], rescore["met"]) == (None, None, True)
    assert (wall["target"], wall["met"]) == (None, None)


def test_a_target_is_met_on_its_boundary_only_when_it_says_so():
    results = Results()
    assert results.add("a", 0.5, "x", ceiling=1.0, target="ratio >= 0.5").met is True
    assert results.add("b", 60.0, "s", target="value < 60").met is False


def test_help_lists_the_benchmarks_and_the_output_file():
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--help"], capture_output=True, text=True, check=True
    )
    assert "webhook" in run.stdout and "build/bench.json" in run.stdout
