# Dossier — the two commands a new user types are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.setup-stamp
export QT_QPA_PLATFORM ?= offscreen

.PHONY: setup run test test-fast lint format bench clean

setup: $(STAMP)

# Re-runs only when pyproject.toml changes. torch comes first from the CPU build, so the
# project's `torch==2.13.0` pin is already satisfied and pip pulls no CUDA packages.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[dev]"
	touch $(STAMP)

run: setup
	$(VENV)/bin/dossier sources
	@echo
	$(VENV)/bin/dossier search "What did Blinken say in Kyiv?" --k 3

test: setup
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	$(PY) bench/ingest.py
	$(PY) bench/search.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
