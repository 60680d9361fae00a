# fairclick task runner. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install demo test lint format typecheck unit serve migrate bench docs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install fairclick with its dev tools

demo: $(STAMP) ## Install runtime data, run the demo on embedded SQLite, then serve the dashboard
	@test -f var/data/manifest.json || $(BIN)/fairclick data update \
		|| echo "warning: fairclick data update failed; the demo uses the built-in IP ranges"
	$(BIN)/fairclick demo

test: $(STAMP) lint typecheck unit ## Lint, type-check and run the whole test suite

unit: $(STAMP) ## Run the test suite only
	$(BIN)/pytest

lint: $(STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

typecheck: $(STAMP) ## mypy on src/
	$(BIN)/mypy

serve: $(STAMP) ## Serve API, redirect and worker on the configured database
	$(BIN)/fairclick init
	$(BIN)/fairclick serve

migrate: $(STAMP) ## Create or upgrade the configured database
	$(BIN)/fairclick init

bench: $(STAMP) ## Run the benchmarks (prints figures; see bench/README.md)
	$(BIN)/python bench/run_all.py

docs: $(STAMP) ## Regenerate the CLI reference in docs/cli.md from the CLI itself
	$(BIN)/python scripts/gen_cli_docs.py

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
