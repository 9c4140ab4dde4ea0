# Two commands on a fresh machine: `make run` (install + materialise everything) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

export CORRPLAT_HOME ?= $(CURDIR)/.corrplat
export DAGSTER_HOME  ?= $(CORRPLAT_HOME)/dagster

.PHONY: install run test lint format validate ui replay bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# `make run OBJECTIVE=target_volatility` sets settings.objective (default min_variance).
run: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m correlation_platform.orchestration.materialize_all $(if $(OBJECTIVE),--objective $(OBJECTIVE))

test: install
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
