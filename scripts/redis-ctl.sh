#!/usr/bin/env bash
# Start or stop the private Redis of scripts/services.sh (the outage tests restart it).
# Usage: scripts/redis-ctl.sh DIR PORT start|stop
# No persistence (--save '', no AOF), as in CI: a restart loses every queued message, which is
# what the Redis-restart scenario wants to recover from.
set -euo pipefail
dir=$1 port=$2 action=$3
case "$action" in
  start)
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
      --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && exit 0; sleep 0.05; done
    echo "redis on port $port did not start" >&2
    exit 1
    ;;
  stop)
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 || exit 0; sleep 0.05; done
    echo "redis on port $port did not stop" >&2
    exit 1
    ;;
  *)
    echo "usage: $0 DIR PORT start|stop" >&2
    exit 2
    ;;
esac
