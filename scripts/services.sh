#!/usr/bin/env bash
# Start/stop a private PostgreSQL and Redis on loopback ports, without systemd.
# Usage: source scripts/services.sh; services_start DIR; ...; services_stop
set -euo pipefail

SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
# Free ports unless told otherwise, so two runs (or a developer's own servers) never collide.
_free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PANTAU_PG_PORT=${PANTAU_PG_PORT:-$(_free_port)}
PANTAU_REDIS_PORT=${PANTAU_REDIS_PORT:-$(_free_port)}

services_start() {
  SERVICES_DIR=$1
  mkdir -p "$SERVICES_DIR"
  chmod 755 "$SERVICES_DIR"
  local pgdata="$SERVICES_DIR/pg"
  if [ "$(id -u)" = 0 ]; then RUN_PG=(runuser -u postgres --); else RUN_PG=(); fi
  mkdir -p "$pgdata" && chmod 700 "$pgdata"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pgdata"
  "${RUN_PG[@]}" "$PG_BIN/initdb" -D "$pgdata" -U postgres -A trust --no-sync -E UTF8 >"$SERVICES_DIR/initdb.log" 2>&1
  # Settings go in the cluster's own config so a restart (the outage tests stop and start it)
  # comes back on the same port.
  cat >>"$pgdata/postgresql.conf" <<CONF
port = $PANTAU_PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pgdata'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
  "${RUN_PG[@]}" "$PG_BIN/pg_ctl" -D "$pgdata" -w -l "$pgdata/server.log" start >/dev/null
  "$SCRIPTS_DIR/redis-ctl.sh" "$SERVICES_DIR" "$PANTAU_REDIS_PORT" start
  export PANTAU_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PANTAU_PG_PORT/postgres"
  export PANTAU_TEST_REDIS_URL="redis://127.0.0.1:$PANTAU_REDIS_PORT"
  export PANTAU_TEST_PG_CTL="${RUN_PG[*]} $PG_BIN/pg_ctl -D $pgdata"
  export PANTAU_TEST_PG_LOG="$pgdata/server.log"
  # `$PANTAU_TEST_REDIS_CTL stop|start`: the Redis-restart scenario stops and starts it.
  export PANTAU_TEST_REDIS_CTL="$SCRIPTS_DIR/redis-ctl.sh $SERVICES_DIR $PANTAU_REDIS_PORT"
}

services_stop() {
  [ -n "${SERVICES_DIR:-}" ] || return 0
  local pgdata="$SERVICES_DIR/pg"
  if [ "$(id -u)" = 0 ]; then RUN_PG=(runuser -u postgres --); else RUN_PG=(); fi
  "${RUN_PG[@]}" "$PG_BIN/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true
  "$SCRIPTS_DIR/redis-ctl.sh" "$SERVICES_DIR" "$PANTAU_REDIS_PORT" stop || true
  rm -rf "$SERVICES_DIR"
}
