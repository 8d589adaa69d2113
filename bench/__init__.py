"""Benchmarks run by `make bench`: ratios measured side by side in one run, never timed tests.

`python -m bench` runs them all (wilayah load, scoring throughput, webhook vs a bare insert) on
SQLite and on the private PostgreSQL/Redis that `scripts/bench.sh` starts.
"""
