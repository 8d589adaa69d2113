# Pantau: two commands on a fresh Debian machine with Python 3.11: `make demo`, `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install system-deps venv dev-venv node-deps demo test test-reliability security lint format bench clean

# Everything the tests, lint, security checks and benchmarks need.
install: system-deps dev-venv node-deps

# Debian packages (Java, PostgreSQL, Redis, Node, chromium, systemd, nginx, curl), installed
# only when missing: scripts/system-deps.sh says what each is for.
system-deps:
	@scripts/system-deps.sh

$(BIN)/python:
	$(PY) -m venv $(VENV)

# What Pantau runs on (requirements.txt): `make venv` is also the production guide's install.
$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# And the tests', lint's and security checks' tools (requirements-dev.txt).
$(VENV)/.installed: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime

dev-venv: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-deps:
	@if [ -f package-lock.json ]; then $(MAKE) --no-print-directory node_modules/.installed; fi

# The demo installs only what it runs on: Java (ODK Validate) and the runtime packages.
demo:
	@scripts/system-deps.sh demo
	@$(MAKE) --no-print-directory venv
	$(BIN)/pantau demo

# The everyday suite: the failure scenarios are left to test-reliability (the fuzz runs, small).
# Parallel: most of a test's time is spent waiting on the processes it starts (web, worker,
# sandbox, ODK Validate), so more pytest workers than cores still pays; TEST_PROCS=1 for serial.
TEST_PROCS ?= 3
test: install
	scripts/test.sh -m "not reliability and not exclusive" -n $(TEST_PROCS) --dist worksteal

# Failure scenarios and the webhook fuzz at FUZZ cases per database (`make test-reliability
# FUZZ=100000` for a long run); prints the figures each one checked at the end.
# 5,000 per database: 10,000 cases in all, within the CI time budget.
# Two pytest workers for the scenarios that leave the shared PostgreSQL and Redis running (each
# has its own database, worker, sandbox and ports); then, alone, those that stop them. The
# second round runs even when the first failed (not when it was interrupted: pytest's exit 2),
# so one CI run reports on every scenario.
FUZZ ?= 5000
RELIABILITY_PROCS ?= 2
test-reliability: install
	@shared=0; alone=0; \
	PANTAU_FUZZ_CASES=$(FUZZ) scripts/test.sh -m "(reliability or fuzz) and not exclusive" \
		-n $(RELIABILITY_PROCS) --dist worksteal --durations=0 || shared=$$?; \
	if [ $$shared -eq 2 ]; then exit 2; fi; \
	scripts/test.sh -m "exclusive" --durations=0 || alone=$$?; \
	if [ $$shared -ne 0 ] || [ $$alone -ne 0 ]; then \
		echo "test-reliability failed: shared round exit $$shared, exclusive round exit $$alone"; \
		exit 1; \
	fi

# bandit on our code, pip-audit on both requirements files (exceptions: security/audit-exceptions.txt).
security: dev-venv
	scripts/security.sh

lint: dev-venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: dev-venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	scripts/bench.sh

clean:
	rm -rf $(VENV) node_modules build var .pytest_cache
