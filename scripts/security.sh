#!/usr/bin/env bash
# `make security`: bandit on our code, pip-audit on the pinned requirements (both files).
# Both always run; the script fails if either found something (see security/audit-exceptions.txt).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
status=0
echo "== bandit (skips and why: [tool.bandit] in pyproject.toml)"
# The product's code. demo/ and bench/ get the same checks from ruff's S rules (bandit's
# port) in `make lint`, with a reason beside each `noqa`; sandbox/ (stand-ins for Kobo and
# Central on loopback, their md5/sha1 are Kobo's and Central's hashes) and tests/ do not.
.venv/bin/bandit -q -c pyproject.toml -r core service workers cli config || status=1
echo "== pip-audit -r requirements-dev.txt (it includes requirements.txt)"
# --no-deps: every line of both files is pinned; the report is judged by audit_check.py,
# since pip-audit counts a package it could not look up as no vulnerability.
.venv/bin/pip-audit -r requirements-dev.txt --no-deps --progress-spinner off -f json \
  -o build/pip-audit.json 2>build/pip-audit.log || true
if [ -s build/pip-audit.json ]; then
  .venv/bin/python scripts/audit_check.py build/pip-audit.json security/audit-exceptions.txt || status=1
else
  echo "pip-audit wrote no report:"; tail -n 5 build/pip-audit.log; status=1
fi
exit $status
