# `make run` and `make test` create .venv on first use and install the pinned versions.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench demo clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Impact needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/impact demo --if-empty
	$(BIN)/impact app

# One pytest worker per core; a test module stays on one worker (its module fixtures are
# built once).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n auto --dist loadfile

# pyfixest and csdid are the DiD benchmarks' comparisons only (the `bench` extra), not in requirements.lock.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet pyfixest==0.60.0 csdid==0.4.3
	$(BIN)/python -m bench
	$(BIN)/python -m bench spark

clean:
	rm -rf $(VENV) data/*.duckdb data/*.duckdb.* data/.*.duckdb.link-* data/*.sqlite
