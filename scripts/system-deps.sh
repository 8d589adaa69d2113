#!/usr/bin/env bash
# The Debian packages Pantau needs, installed with apt-get when missing (sudo when not root).
#   scripts/system-deps.sh demo   what `make demo` needs: Java for ODK Validate
#   scripts/system-deps.sh        and what the tests need besides (see the comments below)
set -euo pipefail
missing=""
need() {  # need PACKAGE CHECK...: PACKAGE is missing when CHECK fails
  local package=$1
  shift
  "$@" >/dev/null 2>&1 || missing="$missing $package"
}
need default-jre-headless command -v java
if [ "${1:-all}" != demo ]; then
  need postgresql compgen -G '/usr/lib/postgresql/*/bin/initdb'
  need redis-server command -v redis-server
  # ODK's form engine (@getodk/xforms-engine) fills the forms in the tests.
  need nodejs command -v node
  need npm command -v npm
  # chromium: the dashboard's browser test (Playwright drives it; no browser is downloaded).
  need chromium command -v chromium
  # systemd: `systemd-analyze verify` on deploy/'s units; nginx-light: the production guide's
  # test runs its nginx site; curl: the guide's checks.
  need systemd command -v systemd-analyze
  need curl command -v curl
  need nginx-light bash -c '[ -x /usr/sbin/nginx ] || command -v nginx'
  # wrk: the webhook benchmark's load generator (`make bench`, and its run in test-reliability).
  need wrk command -v wrk
fi
if [ -n "$missing" ]; then
  echo "installing Debian packages:$missing"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
