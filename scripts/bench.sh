#!/usr/bin/env bash
# Benchmarks: private PostgreSQL + Redis on loopback, `python -m bench` on SQLite and PostgreSQL.
# Prints ratios measured side by side in one run; exits non-zero if any benchmark is invalid.
# Arguments go to `python -m bench` (e.g. `scripts/bench.sh webhook --seconds 20`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

# The load generator of the webhook benchmark (a Debian package; installed only when missing).
if ! command -v wrk >/dev/null; then
  echo "installing Debian package: wrk"
  SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi

dir=$(mktemp -d /tmp/pantau-bench-services.XXXXXX)
trap services_stop EXIT
services_start "$dir"
echo "PostgreSQL on 127.0.0.1:$PANTAU_PG_PORT, Redis on 127.0.0.1:$PANTAU_REDIS_PORT"
.venv/bin/python -m bench "$@"
