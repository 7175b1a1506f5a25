# Dossier — the two commands a new user types are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.setup-stamp
export QT_QPA_PLATFORM ?= offscreen

.PHONY: setup run screenshots test test-fast lint format bench clean pg pg-stop

setup: $(STAMP)

# llama-cpp-python compiles llama.cpp for this CPU (-march=native), but without its AMX
# kernels: on a virtual machine whose CPU advertises AMX the app crashed at the first token
# (general protection fault in libggml-cpu). Built without the pip cache, so a wheel built
# another way on this machine is not reused; the project install then finds the pin satisfied.
LLAMA_PIN := $(shell grep -o 'llama-cpp-python==[0-9.]*' pyproject.toml | head -1)
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_BUILD_ENV := $(if $(filter x86_64,$(shell uname -m)),CFLAGS="$(NO_AMX)" CXXFLAGS="$(NO_AMX)",)

# Re-runs only when pyproject.toml changes. torch comes first from the CPU build, so the
# project's `torch==2.13.0` pin is already satisfied and pip pulls no CUDA packages.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(LLAMA_BUILD_ENV) $(PIP) install --quiet --no-cache-dir "$(LLAMA_PIN)"
	$(PIP) install --quiet -e ".[dev]"
	$(PY) -m models.prepare
	touch $(STAMP)

# The window needs a real display: drop the offscreen platform this Makefile sets for tests.
RUN_ENV := $(if $(filter file,$(origin QT_QPA_PLATFORM)),env -u QT_QPA_PLATFORM,)

run: setup
	$(RUN_ENV) $(PY) -m desktop

# The real app under Xvfb with the default model: asks, clicks a citation, saves docs/*.png.
# Needs: apt-get install xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
screenshots: setup
	env -u QT_QPA_PLATFORM xvfb-run -a -s "-screen 0 1440x900x24" $(PY) scripts/screenshots.py

test: setup
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow"

# A local PostgreSQL server with pgvector for a shared library (retrieval/postgres/), its files
# in <data dir>/postgres: prints the URL for `dossier --library URL` / $DOSSIER_LIBRARY_URL.
pg: setup
	$(PY) scripts/pg.py start

pg-stop: setup
	$(PY) scripts/pg.py stop

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	$(PY) bench/ingest.py
	$(PY) bench/search.py
	$(PY) bench/chunking.py
	$(PY) bench/gui_stall.py
	$(PY) bench/answer.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
