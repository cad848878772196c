# California School Dashboard warehouse. Quick start: `make run`, then `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The install stamp changes whenever the lock or the package metadata changes, so a changed pin reinstalls.
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: install run test test-unit lint lock dev bench docs clean

install: $(STAMP) $(DAGSTER_HOME)/dagster.yaml

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

$(STAMP): requirements.lock pyproject.toml
	@echo "==> creating $(VENV) with $(PYTHON) and installing the locked dependencies"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip==24.3.1
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

## run: install, generate the statewide releases once (data/generated/raw), build the warehouse, print the summary
run: install
	$(BIN)/cadash generate --if-missing
	$(BIN)/cadash build

## test: the test suite (unit, ingest, dbt, Dagster, CLI), one test file at a time on each of TEST_WORKERS workers
# (pytest-xdist). Three on two cores: a worker often waits (on dbt's start, a server, a daemon run), and a third
# keeps the cores busy meanwhile (docs/benchmark.md has the measured runs). TEST_WORKERS=0 runs them
# in this process, e.g. to debug with -s or pdb; pass further pytest arguments in PYTEST_ARGS.
TEST_WORKERS ?= 3
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## test-unit: the fast lane, tests/unit/: no warehouse build, no dbt, no server (tests/integration/ is the rest)
test-unit: install
	$(BIN)/python -m pytest tests/unit -q $(PYTEST_ARGS)

## lint: ruff on the Python (rules in pyproject.toml [tool.ruff])
lint: install
	$(BIN)/ruff check orchestration tests

## lock: re-resolve requirements.lock from the pins in pyproject.toml (a throwaway venv, pip freeze)
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip==24.3.1
	.lock-venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	.lock-venv/bin/pip freeze --exclude-editable --disable-pip-version-check > requirements.lock
	rm -rf .lock-venv

## dev: the Dagster UI on http://127.0.0.1:3000 with the asset graph, jobs and partitions
dev: install
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

## bench: lower bound vs pandas vs pipeline vs incremental at scales 1, 2, 4 (data/bench/results.{json,md})
bench: install
	$(BIN)/cadash bench

## docs: the dbt docs site of a built warehouse, one file that opens from file:// (data/docs/index.html, docs/bi.md)
# Reads the warehouse cadash builds (DASHBOARD_WAREHOUSE, default data/warehouse.duckdb, so after `make run`); run it
# while no build is writing that file. dbt's artifacts go to data/docs/dbt, not dbt_project/target (Dagster's manifest).
DOCS_DIR := data/docs
DOCS_WAREHOUSE = $(abspath $(or $(DASHBOARD_WAREHOUSE),data/warehouse.duckdb))
docs: install
	@test -f "$(DOCS_WAREHOUSE)" || { echo "no warehouse at $(DOCS_WAREHOUSE): build it first (make run)"; exit 1; }
	DASHBOARD_WAREHOUSE="$(DOCS_WAREHOUSE)" $(BIN)/dbt docs generate --static --project-dir dbt_project \
		--profiles-dir dbt_project --target warehouse --target-path "$(CURDIR)/$(DOCS_DIR)/dbt"
	cp $(DOCS_DIR)/dbt/static_index.html $(DOCS_DIR)/index.html
	@echo "==> $(DOCS_DIR)/index.html (from $(DOCS_WAREHOUSE))"

clean:
	rm -rf data dbt_project/target dbt_project/logs .dagster_home .pytest_cache
