#!/usr/bin/env bash
# The whole suite: private PostgreSQL + Redis on loopback, tests on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
dir=$(mktemp -d /tmp/pantau-services.XXXXXX)
trap services_stop EXIT
services_start "$dir"
echo "PostgreSQL on 127.0.0.1:$PANTAU_PG_PORT, Redis on 127.0.0.1:$PANTAU_REDIS_PORT"
export PANTAU_TEST_REQUIRE_SERVICES=1
.venv/bin/python -m pytest "$@"
