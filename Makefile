# Cakap: `make run` starts the whole suite, `make test` proves it. `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
REQUIREMENTS := requirements-dev.txt $(wildcard services/*/requirements.txt) gateway/requirements.txt shared/pyproject.toml
STAMP := $(VENV)/.installed-$(shell cat $(REQUIREMENTS) | sha1sum | cut -c1-12)
ENV_FILE := $(if $(wildcard .env),.env,.env.example)
SERVICES := personnel catalog elearning evaluation notification planning portal gateway
PYTEST_ARGS ?= -n 2 --dist loadgroup -q --durations=15
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

.PHONY: venv
venv: $(STAMP) assets ## Create .venv and install the pinned requirements (once per change)

$(STAMP): $(REQUIREMENTS)
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

# Browser libraries come from the npm registry, pinned by package-lock.json (docs/decisions/0007).
PORTAL := services/portal
VENDOR := $(PORTAL)/portal_service/static/vendor
VENDOR_FILES := $(VENDOR)/chart.umd.min.js

.PHONY: assets
assets: $(VENDOR_FILES) ## Install the portal's browser libraries (npm ci) into its static/vendor/

$(VENDOR_FILES): $(PORTAL)/package.json $(PORTAL)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the portal's browser libraries (apt-get install npm)" >&2; exit 1; }
	cd $(PORTAL) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@mkdir -p $(VENDOR)
	cp $(PORTAL)/node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/
	@touch $(VENDOR_FILES)

.PHONY: run
run: venv ## Migrate, load demo data into empty databases, start every service (gateway on :8000)
	@scripts/ensure-dev-secrets.sh
	@echo ""
	@echo "  Cakap starts on http://127.0.0.1:8000  (API docs: /api/docs; Ctrl-C stops everything)"
	@echo "  Demo accounts, password cakap-demo: admin (BKPSDM), trainer (widyaiswara),"
	@echo "    atasan (supervisor, Diskominfo), pegawai (ASN, Diskominfo)"
	@echo ""
	honcho -e $(ENV_FILE) -f Procfile start

.PHONY: test
# The browser tests drive the portal, which has no database of its own: they run once, in one
# process against one running suite, on PostgreSQL (production's database) when it is
# reachable, else on SQLite. Tests marked `database_free` (the gateway, the portal, static
# checks) would do the same thing twice, so the PostgreSQL pass leaves them out. Tests marked
# `once` (whole-suite processes, the OpenAPI fuzzing: half the SQLite pass's time) run in the
# PostgreSQL pass only, on production's database (docs/decisions/0012).
test: venv browser-deps edge-deps compose-deps ## Run every test on SQLite, then on PostgreSQL when reachable (required in CI)
	@if scripts/postgres-available.sh; then \
		TEST_DB=sqlite $(PY) -m pytest $(PYTEST_ARGS) -m "not browser and not once" && \
		echo "== again on PostgreSQL, the tests that open a database ==" && \
		TEST_DB=postgres $(PY) -m pytest $(PYTEST_ARGS) -m "not browser and not database_free" && \
		echo "== the browser tests, one process and one suite, on PostgreSQL ==" && \
		TEST_DB=postgres $(PY) -m pytest -q -p no:xdist -m browser; \
	elif [ -n "$${REQUIRE_POSTGRES:-}" ]; then \
		echo "PostgreSQL is required (REQUIRE_POSTGRES) but not reachable" >&2; exit 1; \
	else echo "PostgreSQL not reachable: SQLite only"; TEST_DB=sqlite $(PY) -m pytest $(PYTEST_ARGS); fi

.PHONY: test-security
test-security: venv ## Run only the attack and hardening tests (marker `security`, docs/SECURITY.md), both databases
	TEST_DB=sqlite $(PY) -m pytest $(PYTEST_ARGS) -m security
	@if scripts/postgres-available.sh; then TEST_DB=postgres $(PY) -m pytest $(PYTEST_ARGS) -m security; fi

.PHONY: test-%
test-%: venv ## Run one service's tests on both databases: make test-catalog
	TEST_DB=sqlite $(PY) -m pytest $(PYTEST_ARGS) tests/$*
	@if scripts/postgres-available.sh; then TEST_DB=postgres $(PY) -m pytest $(PYTEST_ARGS) tests/$*; fi

.PHONY: test-browser
test-browser: venv browser-deps ## Only the browser tests (the portal in chromium against the real suite)
	$(PY) -m pytest -q -p no:xdist -m browser

.PHONY: browser-deps
browser-deps: ## Install Debian's chromium for the browser tests (when root)
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
		else echo "chromium missing and not root: browser tests will skip"; fi; }

.PHONY: edge-deps
edge-deps: ## Install Debian's nginx to check deploy/nginx/nginx.conf (when root)
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx) >/dev/null; \
		else echo "nginx missing and not root: the edge proxy tests will skip"; fi; }

.PHONY: compose-deps
compose-deps: ## Install Debian's docker-compose to check docker-compose.yml with its own parser (when root)
	@command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose) >/dev/null; \
		else echo "docker-compose missing and not root: the compose check will skip"; fi; }

.PHONY: lint
lint: venv ## ruff check, format check and mypy (make typecheck)
	ruff check .
	ruff format --check .
	mypy

.PHONY: typecheck
typecheck: venv ## mypy: strict on shared/ and gateway/, then the services listed in pyproject.toml
	mypy

.PHONY: bench
bench: venv bench-deps ## Run the benchmarks and write docs/BENCHMARKS.md
	$(PY) bench/run_all.py

.PHONY: bench-deps
bench-deps: ## Install Debian's wrk, the benchmarks' load generator (when root; else a slower Python one)
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null; \
		else echo "wrk missing and not root: the benchmarks use their Python load generator"; fi; }

.PHONY: scale-test
# Minutes long, so not part of `make test`; needs PostgreSQL on 127.0.0.1:5432 and nginx.
scale-test: venv edge-deps ## Proof of scale-out: 2 instances of every service, 500 completions while they are killed
	@scripts/postgres-available.sh || { echo "make scale-test needs PostgreSQL (TEST_POSTGRES_URL)" >&2; exit 1; }
	$(PY) scripts/scale_test.py $(SCALE_TEST_ARGS)

.PHONY: screenshots
screenshots: venv browser-deps ## Screenshots of the back office and learner pages into docs/screenshots/
	$(PY) scripts/screenshots.py

.PHONY: clean
clean: ## Remove var/ (databases, dev keys, content)
	rm -rf var
