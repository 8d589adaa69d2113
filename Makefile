# Pantau: two commands on a fresh Debian machine with Python 3.11: `make demo`, `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := postgresql redis-server default-jre-headless

.PHONY: install system-deps venv node-deps demo test test-reliability security lint format bench clean

install: system-deps venv node-deps

# Debian packages the tests and the form build need; installed only when missing.
# chromium: the dashboard's browser test (Playwright drives it; no browser is downloaded).
# systemd: `systemd-analyze verify` on deploy/'s units; nginx-light: `nginx -t` on its nginx
# example; curl: the production guide's checks.
system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing="$$missing nginx-light"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

venv: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-deps:
	@if [ -f package-lock.json ]; then $(MAKE) --no-print-directory node_modules/.installed; fi

demo: install
	$(BIN)/pantau demo

# The everyday suite: the failure scenarios are left to test-reliability (the fuzz runs, small).
# Parallel: most of a test's time is spent waiting on the processes it starts (web, worker,
# sandbox, ODK Validate), so more pytest workers than cores still pays; TEST_PROCS=1 for serial.
TEST_PROCS ?= 3
test: install
	scripts/test.sh -m "not reliability" -n $(TEST_PROCS) --dist worksteal

# Failure scenarios and the webhook fuzz at FUZZ cases per database (`make test-reliability
# FUZZ=100000` for a long run); prints the figures each one checked at the end.
# 5,000 per database: 10,000 cases in all, within the CI time budget.
FUZZ ?= 5000
test-reliability: install
	PANTAU_FUZZ_CASES=$(FUZZ) scripts/test.sh -m "reliability or fuzz" --durations=0

# bandit on our code, pip-audit on requirements.txt (exceptions: security/audit-exceptions.txt).
security: venv
	scripts/security.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	scripts/bench.sh

clean:
	rm -rf $(VENV) node_modules build var .pytest_cache
