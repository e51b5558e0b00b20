# The two commands of README.md: `make demo` runs the example assembly line, `make test` runs every check.
# Each sets up its own virtual environment first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	# byte-compile once: start-up is part of the budget, and PYTHONDONTWRITEBYTECODE may be set
	$(BIN)/python -m compileall -q src >/dev/null
	touch $@

demo: $(BIN)/.installed
	PATH="$(abspath $(BIN)):$$PATH" bash examples/demo.sh

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(BIN)/.installed
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -q

bench: $(BIN)/.installed
	$(BIN)/python -m compileall -q src >/dev/null
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .conveyor .pytest_cache .mypy_cache .ruff_cache
