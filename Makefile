# Two commands on a fresh machine: `make run` (install + materialise everything) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Every package at an exact version with its hashes (tools/lock.py; `make lock` regenerates it).
LOCK   := requirements.lock
UV_VERSION := $(or $(shell sed -n "s/^uv==\([0-9.]*\).*/\1/p" $(LOCK) 2>/dev/null),0.13.8)

export CORRPLAT_HOME ?= $(CURDIR)/.corrplat
export DAGSTER_HOME  ?= $(CORRPLAT_HOME)/dagster

.PHONY: install uv lock lock-upgrade run test lint format validate ui replay bench clean

# The venv is made exactly the lock (uv pip sync: missing packages installed, others removed),
# then the project itself is installed editable without dependencies; pip check must be clean.
$(STAMP): $(LOCK) pyproject.toml
	@$(MAKE) --no-print-directory uv
	$(BIN)/uv pip sync -q --python $(BIN)/python --require-hashes $(LOCK)
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	@touch $(STAMP)

install: $(STAMP)

# The venv (Python 3.11, the lock's) with the lock's version of uv in it.
uv:
	@test -x $(BIN)/python || $(PYTHON) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; sys.exit(0 if v == "3.11" else "requirements.lock is resolved for Python 3.11, $(PYTHON) is " + v + ": make PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/uv --version 2>/dev/null | grep -qx "uv $(UV_VERSION)" || $(BIN)/python -m pip install -qq "uv==$(UV_VERSION)"

# Regenerate requirements.lock after changing pyproject.toml or constraints.txt (existing pins
# are kept where they still fit); lock-upgrade moves every package to the newest allowed.
lock: uv
	$(BIN)/python tools/lock.py compile
	$(MAKE) install

lock-upgrade: uv
	$(BIN)/python tools/lock.py compile --upgrade
	$(MAKE) install

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# `make run OBJECTIVE=target_volatility` sets settings.objective (default min_variance).
run: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m correlation_platform.orchestration.materialize_all $(if $(OBJECTIVE),--objective $(OBJECTIVE))

test: install
	$(BIN)/python tools/lock.py check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

validate: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster definitions validate -w workspace.yaml

# Dagster UI on http://127.0.0.1:3000 (with the daemon), MLflow UI on http://127.0.0.1:5000;
# Ctrl-C or SIGTERM stops every process both started.
ui: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m correlation_platform.orchestration.ui

# The daily life replayed day by day on a synthetic market with a correlation break
# (`make replay ARGS="--source bundled --days 120"` for the bundled history).
replay: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m correlation_platform.orchestration.replay $(ARGS)

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(CORRPLAT_HOME)
