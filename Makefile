# Rapport: `make demo` sets up and runs the product on its embedded default; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo test lint install services-up services-down bench clean

$(BIN)/rapport: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/rapport

install: $(BIN)/rapport

demo: install
	$(BIN)/rapport demo --port $(PORT)

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) .rapport
