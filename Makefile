# The two commands a newcomer needs: `make demo` and `make test` (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check

.PHONY: demo test lint smoke-wheel setup setup-test bench clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# Runtime only: the bundled embedder needs no torch.
$(VENV)/.setup: pyproject.toml | $(VENV)/bin/python
	$(PIP) -e .
	touch $@

# Tests also run the sentence-transformers path. Install torch first, pinned to the
# CPU build, so nothing later pulls a multi-GB CUDA build.
$(VENV)/.setup-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test]'
	touch $@

setup: $(VENV)/.setup
setup-test: $(VENV)/.setup-test

demo: setup
	$(VENV)/bin/absatz ingest
	$(VENV)/bin/absatz ask "Wann geht die neue Bahnstrecke zwischen Erfurt und Kassel in Betrieb?"
	$(VENV)/bin/absatz ask "How much does a bread roll cost in Munich?"
	$(VENV)/bin/absatz ask "Wie backe ich ein Sauerteigbrot?"

test: setup-test
	$(PY) -m pytest -q
	$(MAKE) lint
	$(MAKE) smoke-wheel

# The linters pyproject.toml configures: ruff (lint and format) over the repository, mypy over the packages
# (strict for absatz, ingest and vectorstore; the defaults for bot) and, on its own line, over the bench
# scripts (top-level modules: bench/ingest.py would clash with the ingest package in one run).
lint: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy absatz ingest vectorstore bot
	$(VENV)/bin/mypy bench

# What a deployment installs: build the wheel, install it (and simcord) into a fresh
# virtual environment, and run tests/smoke_installed.py there from a temporary folder
# in isolated mode, so nothing is imported from the source tree: ingest corpus/, ask,
# start the bot through simcord. Stale build/lib files would hide missing packages.
SMOKE_VENV := build/smoke-venv
smoke-wheel: | $(VENV)/bin/python
	rm -rf build/lib build/bdist.* build/wheel $(SMOKE_VENV)
	$(PY) -m pip wheel -q --disable-pip-version-check --no-deps -w build/wheel .
	python3 -m venv $(SMOKE_VENV)
	$(SMOKE_VENV)/bin/python -m pip install -q --disable-pip-version-check build/wheel/absatz-*.whl 'simcord>=3.2'
	dir=$$(mktemp -d) && cp tests/smoke_installed.py "$$dir/" && cd "$$dir" && \
	  { $(CURDIR)/$(SMOKE_VENV)/bin/python -I smoke_installed.py $(CURDIR)/corpus; status=$$?; rm -rf "$$dir"; exit $$status; }

bench: setup-test
	$(PIP) -e '.[test,bench]'
	$(PY) bench/retrieval.py

clean:
	rm -rf data .pytest_cache
