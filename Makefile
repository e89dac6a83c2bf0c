# kdgat: `make run` (set up, run the pipeline, print results) and `make test`.
# Every target is idempotent: a second `make setup` installs nothing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_VERSION ?= 2.13.0
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help setup run test test-quick lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install -q torch==$(TORCH_VERSION)
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install kdgat with its dev tools (CPU torch unless one is present)

run: setup ## run the whole pipeline on the default data and print the results
	$(BIN)/dvc repro
	$(BIN)/kdgat report
	$(BIN)/kdgat query "select dataset, scenario, rank, model, f1, auroc, parameters from leaderboard"

test: setup ## the full test suite (what CI runs)
	$(BIN)/pytest

test-quick: setup ## the inner loop: every test not marked slow or slurm (about a minute)
	$(BIN)/pytest -m "not slow and not slurm"

lint: setup ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup ## speed and memory benchmarks (JSON on stdout)
	@for b in benchmarks/ingest.py benchmarks/graphs.py benchmarks/loader.py benchmarks/training.py benchmarks/lakehouse.py benchmarks/pipeline.py; do $(BIN)/python $$b; done

clean: ## remove pipeline outputs (not the DVC cache)
	rm -rf data/raw/synth data/processed metrics
