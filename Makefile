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

# The sentiment model is trained once here from RAPPORT_DATA_DIR (its licence keeps it out of the package) and
# cached under RAPPORT_HOME; no data means the lexicon fallback, not a failed install.
install: $(BIN)/rapport
	$(BIN)/rapport models build --if-data

demo: install
	$(BIN)/rapport demo --port $(PORT)

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) .rapport
