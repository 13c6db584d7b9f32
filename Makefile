# Gladiator: every target installs what it needs first (idempotent, cached in .gladiator/stamps).
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: help setup demo test test-fast lint bench up down status clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-10s %s\n",$$1,$$2}'

setup: ## Install everything: Debian packages, .venv, CDK CLI, jars (cached)
	@bash scripts/setup.sh

demo: setup ## Run the end-to-end local demo (generate -> drop -> ... -> dashboard)
	@$(VENV)/gladiator demo

test: setup ## Run the whole test suite (unit, integration, slow end-to-end) with the local stack
	@bash scripts/test.sh

test-fast: setup ## Unit tests only (no services)
	@$(VENV)/pytest -m "not integration and not slow" -q

lint: setup ## ruff + mypy
	@$(VENV)/ruff check . && $(VENV)/ruff format --check . && $(VENV)/mypy gladiator gladiator_cli local_emulation streaming lambdas glue_jobs infra

bench: setup ## Benchmarks: ratios measured side by side in one run (not tests)
	@bash scripts/bench.sh

up: setup ## Start the local stack
	@$(VENV)/gladiator local up

down: ## Stop the local stack
	@$(VENV)/gladiator local down

status: ## Show the local stack
	@$(VENV)/gladiator local status

clean: down ## Stop services and delete all local state (.gladiator/stack, cdk.out)
	rm -rf .gladiator/stack cdk.out
