# Two commands for a newcomer: `make demo` and `make test`. Both set everything up themselves.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the stamp of the Cython build of the webgraph hot path (examples/setup.py names its modules;
# any webgraph source counts here, so the list lives in one place)
COMPILED_SOURCES := $(wildcard examples/webgraph/*.py) examples/setup.py
COMPILED := $(VENV)/.compiled
export SPARK_LOCAL_IP := 127.0.0.1
export PYTHONUNBUFFERED := 1

.PHONY: setup demo test lint typecheck unit ui clean

setup: $(STAMP) $(COMPILED)

$(STAMP): pyproject.toml examples/pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"paasport needs Python 3.11, found {sys.version.split()[0]} at {sys.executable}; set PYTHON=/path/to/python3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing paasport and its pinned dependencies into $(VENV) (pyspark is ~450 MB on first install)"
	# (sed drops pip's notes about package index folders this machine's pip config names but lacks)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]' -e ./examples 2>&1 | sed '/is ignored: it is neither a file nor a directory/d'
	$(BIN)/python -m paasport.java --ensure
	@echo "dumping the JVM class archive that halves a local Spark start (about 30 s, once per install)"
	$(BIN)/python -m paasport.platforms.selfhosted.class_archive
	@if [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and chromium-driver from Debian (the HTML cost report test renders the report in headless Chromium)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else \
	    echo "NOTE: /usr/bin/chromedriver is missing: the HTML cost report test needs Debian's chromium and chromium-driver (as root: apt-get install chromium chromium-driver)"; \
	  fi; \
	fi
	touch $(STAMP)
	touch $(COMPILED)  # the install above compiled the hot path too

# a compiled module shadows its .py: rebuild it whenever its source changes
$(COMPILED): $(STAMP) $(COMPILED_SOURCES)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e ./examples 2>&1 | sed '/is ignored: it is neither a file nor a directory/d'
	touch $(COMPILED)

demo: setup
	$(BIN)/paasport demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy src examples bench tests

unit: setup
	$(BIN)/pytest

test: lint typecheck unit

ui: setup
	$(BIN)/paasport ui

clean:
	rm -rf $(VENV) data/webgraph .dagster .pytest_cache .mypy_cache .ruff_cache build \
	  examples/build examples/webgraph/*.so examples/webgraph/*.c
