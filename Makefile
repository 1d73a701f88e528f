# Two commands set up and run everything on a fresh machine: `make run` and `make test`.
# Both create the virtual environment in .venv on first use and reinstall when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/studybot run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/studybot content check --warnings-as-errors
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/answers.py
