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
.PHONY: help setup run run-research research test test-quick lint bench site site-serve plots clean

# Research size (params.yaml is the demo size): `make run-research`, or
# `dvc exp run $$(make -s research)` to queue it or run it in a temporary copy.
RESEARCH ?= -S threads=0 -S epochs=50 -S patience=5 \
	-S gat.large.hidden_channels=64 -S gat.large.heads=4 -S gat.large.embedding_dim=32 \
	-S vgae.large.hidden_channels=64 -S vgae.large.latent_channels=32 \
	-S vgae.large.heads=4 -S vgae.large.embedding_dim=32

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
	$(BIN)/kdgat repro --jobs 2
	$(BIN)/kdgat report
	$(BIN)/kdgat query "select dataset, scenario, rank, model, seeds, f1, f1_low, f1_high, auroc, mark from leaderboard"

run-research: setup ## the pipeline at research size (RESEARCH overrides) as a DVC experiment
	$(BIN)/dvc exp run $(RESEARCH)
	$(BIN)/kdgat report

research: ## print the research-size overrides (for dvc exp run)
	@echo $(RESEARCH)

test: setup ## the full test suite (what CI runs)
	$(BIN)/pytest

test-quick: setup ## the inner loop: every test not marked slow or slurm (about a minute)
	$(BIN)/pytest -m "not slow and not slurm"

lint: setup ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

SITE_PORT ?= 8000

site: setup ## build the results site into site/dist from lakehouse/ (`make run` first; needs Node.js 18+)
	@test -d lakehouse || { echo "no lakehouse/: run \`make run\` first (the site shows its export)"; exit 1; }
	$(BIN)/kdgat site build

plots: setup ## dvc plots show into dvc_plots/, with Vega bundled (renders offline)
	$(BIN)/kdgat site plots

site-serve: ## serve the built site on http://127.0.0.1:$(SITE_PORT)/ (SITE_PORT=...)
	$(BIN)/kdgat site serve --port $(SITE_PORT)

bench: setup ## speed and memory benchmarks (JSON on stdout)
	@for b in benchmarks/ingest.py benchmarks/graphs.py benchmarks/loader.py benchmarks/training.py benchmarks/lakehouse.py benchmarks/pipeline.py; do $(BIN)/python $$b; done

clean: ## remove pipeline outputs (not the DVC cache)
	rm -rf data/raw/synth data/processed metrics
