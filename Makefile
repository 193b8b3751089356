# cocdesk: `make run` serves a demo on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint serve clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "cocdesk needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/cocdesk migrate --noinput -v 0
	$(BIN)/cocdesk demo
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops). Deadlines are checked every 5 minutes; mail goes to var/mail.log."
	@( while true; do $(BIN)/cocdesk tick >> "$${COCDESK_DATA_DIR:-var}/tick.log" 2>&1; sleep 300; done ) & \
	tick=$$!; $(BIN)/cocdesk send-mail --loop >> "$${COCDESK_DATA_DIR:-var}/mail.log" 2>&1 & \
	mailer=$$!; trap 'kill $$tick $$mailer 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn cocdesk.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 --graceful-timeout 5

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build src/*.egg-info
