# callbridge: `make demo` and `make test` work on a fresh machine; everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres lint bench serve worker lock clean help

help:
	@echo "make demo   - install, then run callbridge end to end on the embedded SQLite default"
	@echo "make test   - install, lint, then run the suite (SQLite; PostgreSQL+Redis when reachable)"
	@echo "make lint   - ruff, mypy (domain, vault, clock, connector contract), import contracts"
	@echo "make bench  - run the benchmarks in bench/ (each prints one JSON line)"

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "callbridge needs Python 3.11 or newer; install python3.11 and run: make PYTHON=python3.11")'
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "installing python3-venv"; apt-get update -qq && apt-get install -y -qq python3-venv; }
	@command -v curl >/dev/null && command -v jq >/dev/null || { echo "installing curl and jq (used by the README's examples and their test)"; apt-get update -qq && apt-get install -y -qq curl jq; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/callbridge demo

test: $(STAMP) lint
	bash scripts/run-tests.sh

test-sqlite: $(STAMP)
	CALLBRIDGE_TEST_BACKEND=sqlite $(BIN)/python -m pytest -n auto -q

test-postgres: $(STAMP)
	CALLBRIDGE_TEST_BACKEND=postgresql $(BIN)/python -m pytest -n auto -q -m storage

lint: $(STAMP)
	$(BIN)/ruff check callbridge tests bench
	$(BIN)/mypy callbridge/domain callbridge/privacy/vault.py callbridge/clock.py $(wildcard callbridge/connectors/base.py)
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

serve: $(STAMP)
	$(BIN)/callbridge serve

worker: $(STAMP)
	$(BIN)/callbridge worker

# Re-resolve the pinned set after changing pyproject.toml (commit requirements.lock).
lock:
	rm -rf /tmp/callbridge-lock && $(PYTHON) -m venv /tmp/callbridge-lock
	/tmp/callbridge-lock/bin/pip install -q -e '.[dev]'
	/tmp/callbridge-lock/bin/pip freeze --exclude-editable | grep -v '^-e ' | sort > requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
