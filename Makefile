# cocdesk: `make run` serves a demo on http://$(HOST):$(PORT) (127.0.0.1:8000 unless set), `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Where `make run` listens. Every address it prints and every link in the demo's emails use
# COCDESK_BASE_URL, derived from these unless you set it (e.g. behind a proxy, or HOST=0.0.0.0).
HOST ?= 127.0.0.1
PORT ?= 8000
COCDESK_BASE_URL ?= http://$(HOST):$(PORT)
DATA_DIR = $${COCDESK_DATA_DIR:-var}

.PHONY: run test test-fast lint serve clean screenshots bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "cocdesk needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

# Migrate, seed the demo and print the login details last; then check deadlines every 5 minutes
# (output in the data directory's tick.log) and serve, both quietly, so nothing buries the logins.
# Mail is written to files in the data directory's mail/ (listed on /dev/mail/), never printed.
run: $(VENV)/.installed
	@export COCDESK_BASE_URL="$(COCDESK_BASE_URL)"; \
	$(BIN)/cocdesk migrate --noinput -v 0 || exit 1; \
	echo "cocdesk serves on $(COCDESK_BASE_URL)/ (Ctrl-C stops). Deadlines: every 5 minutes, see $(DATA_DIR)/tick.log"; \
	$(BIN)/cocdesk demo || exit 1; \
	( while true; do $(BIN)/cocdesk tick >> "$(DATA_DIR)/tick.log" 2>&1; sleep 300; done ) & \
	tick=$$!; $(BIN)/cocdesk send-mail --loop >> "$(DATA_DIR)/send-mail.log" 2>&1 & \
	mailer=$$!; trap 'kill $$tick $$mailer 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn cocdesk.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 --graceful-timeout 5 --log-level warning

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/pytest

# The inner loop: lint, then every test but the slow ones (processes, browsers, fault injection, the
# full access matrix). `make test` (and CI) still run everything.
test-fast: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/pytest -m "not slow"

# Refresh the README's phone screenshots (docs/screenshots/) from the browser tests.
screenshots: $(VENV)/.installed-dev
	COCDESK_README_SCREENSHOTS=1 $(BIN)/pytest tests/e2e/test_daily_use.py -k screenshots

# Seed PostgreSQL with BENCH_SIZES cases each (a database bench_<size> each, dropped and made again)
# and write docs/benchmarks.md. Not part of `make test`; takes minutes (100,000 cases: most of an hour).
BENCH_SIZES ?= 1000,10000
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev,bench]'
	@touch $@ $(VENV)/.installed $(VENV)/.installed-dev

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run --sizes $(BENCH_SIZES)

clean:
	rm -rf $(VENV) build src/*.egg-info
