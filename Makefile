# Everyday verbs. `make help` lists them.
.PHONY: help build run test test-postgres e2e bench lint-catalog seed migrate format format-check ci

help:
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

build: ## debug build of everything, tests included
	swift build --build-tests

run: ## serve the platform on ./data (SQLite, demo city on first run)
	swift run yiwang serve

test: ## all tests on SQLite (the README's test command)
	swift test

test-postgres: ## server tests on the PostgreSQL in $$DATABASE_URL
	swift test --filter YiwangServerTests

e2e: build ## browser journeys in headless Chromium
	python3 -m venv .venv-e2e && .venv-e2e/bin/pip install -q -r e2e/requirements.txt
	.venv-e2e/bin/pytest -q e2e

bench: ## benchmark in release on a throwaway SQLite database
	swift build -c release --product yiwang
	YIWANG_DATA_DIR=$$(mktemp -d) .build/release/yiwang bench

lint-catalog: ## run the guide linter over ./data (drafts too)
	swift run yiwang lint-catalog --include-drafts

seed: ## load the demo city into ./data
	swift run yiwang seed --demo

migrate: ## apply pending migrations to ./data or $$DATABASE_URL
	swift run yiwang migrate

format: ## format the Swift sources
	swift format -i -r Sources Tests

format-check: ## check formatting without changing files
	swift format lint -r Sources Tests

ci: ## what CI runs
	bash .ci/run
