# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MLSERVER_VENV := .venv-mlserver
MLSERVER_STAMP := $(MLSERVER_VENV)/.installed

.PHONY: install demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "readiness needs Python 3.11, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

# MLServer (an Open Inference Protocol server the tests score) pins FastAPI below the
# project's lock, so it gets a venv of its own; it runs as a separate process anyway.
$(MLSERVER_STAMP): requirements-mlserver.lock
	$(PYTHON) -m venv $(MLSERVER_VENV)
	$(MLSERVER_VENV)/bin/python -m pip install --quiet -r requirements-mlserver.lock
	touch $(MLSERVER_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/readiness demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy readiness reference harness assessment reports benchmarks tests

unit: $(STAMP) $(MLSERVER_STAMP)
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m benchmarks.inference_optimisation

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
