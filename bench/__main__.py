"""`python -m bench [wilayah] [scoring] [webhook] [pull] [latency] [floor]`: run benchmarks.

Run through `make bench` (scripts/bench.sh), which starts the private PostgreSQL and Redis.
Every benchmark runs even when an earlier one failed; the exit status is 1 if any did. The
figures with their ceilings and targets go to build/bench.json (bench.results) and are printed
as one table at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import (
    alert_latency,
    pull_bench,
    scoring_bench,
    store_floor,
    webhook_bench,
    wilayah_bench,
)
from bench.common import BACKENDS, ROOT, BenchFailure
from bench.results import Results, machine

BENCHES = ("wilayah", "scoring", "webhook", "pull", "latency")
# Run only when named: what storing pulled records costs PostgreSQL at best (bench/store_floor.py).
OPTIONAL = ("floor",)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks on the chosen backends; 0 when every one produced numbers."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "benches",
        nargs="*",
        help=f"any of {', '.join(BENCHES + OPTIONAL)} (default: all but {', '.join(OPTIONAL)})",
    )
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql")
    parser.add_argument(
        "--families", type=int, default=5_000, help="family surveys seeded (Cimahi: ~5,000)"
    )
    parser.add_argument(
        "--imp-months",
        type=int,
        default=12,
        help="months of IMP reports seeded and re-scored (a district's year: 12)",
    )
    parser.add_argument(
        "--family-scope",
        action="append",
        help="wilayah prefix to score families of (repeatable; default one kelurahan, then "
        "one kecamatan); 32.77 scores the whole district",
    )
    parser.add_argument("--seconds", type=float, default=10, help="measured load per endpoint")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up load per endpoint")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per endpoint")
    parser.add_argument(
        "--pull-records",
        type=int,
        default=100_000,
        help="records the pull backfill seeds and pulls (issue 16: 100,000)",
    )
    parser.add_argument(
        "--alerts", type=int, default=50, help="surveys posted by the latency benchmark"
    )
    parser.add_argument(
        "--alert-interval",
        type=float,
        default=0.2,
        help="seconds between the latency benchmark's posts (latency, not throughput)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "build" / "bench.json",
        help="where the figures go (default build/bench.json)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work dir (servers' and workers' logs)"
    )
    args = parser.parse_args(argv)
    benches = args.benches or list(BENCHES)
    if unknown_benches := set(benches) - set(BENCHES) - set(OPTIONAL):
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown_benches))}")
    backends = [b for b in args.backends.split(",") if b]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")

    print(
        f"pantau bench: {', '.join(benches)} on {', '.join(backends)}; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on this box skews all "
        "numbers; compare ratios measured in the same run)",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="pantau-bench."))
    results, host = Results(), machine()
    failures: list[str] = []
    started = time.perf_counter()
    try:
        for name in benches:
            t0 = time.perf_counter()
            try:
                if name == "wilayah":
                    wilayah_bench.run(backends, workdir)
                elif name == "scoring":
                    scopes = tuple(args.family_scope or scoring_bench.FAMILY_SCOPES)
                    scoring_bench.run(
                        backends, workdir, args.families, scopes, results, args.imp_months
                    )
                elif name == "pull":
                    pull_bench.run(workdir, args.pull_records, results)
                elif name == "floor":
                    store_floor.run(workdir, results=results)
                elif name == "latency":
                    alert_latency.run(backends, workdir, args.alerts, args.alert_interval, results)
                else:
                    webhook_bench.run(
                        backends, workdir, args.seconds, args.warmup, args.rounds, results
                    )
            except BenchFailure as exc:
                failures.append(f"{name}: {exc}")
            except Exception as exc:
                traceback.print_exc()
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
            print(f"({name}: {time.perf_counter() - t0:.0f} s)", flush=True)
    finally:
        if args.keep:
            print(f"work dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    results.add("bench run, wall time", elapsed, "s")
    results.print()
    results.write(args.out, host)
    print(f"\nbench finished in {elapsed:.0f} s; figures in {args.out}")
    if failures:
        print("\nBENCHMARK FAILURES (numbers above for these are not valid):", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
