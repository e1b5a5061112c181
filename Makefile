# The two commands: `make demo` and `make test`. Each creates .venv when it is missing and
# installs the package with its test and numba extras, then runs the demo or the tests.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Small-matrix work is slower with several BLAS threads on this 2-core machine.
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export OMP_NUM_THREADS := 1

.PHONY: demo test lint docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,numba]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "== scalebridge gallery: every example (validate, compose, run, write results), then"
	@echo "   its headline results against their references =="
	$(BIN)/scalebridge gallery examples --out results

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/python -m scalebridge.docs --check

test: lint
	$(BIN)/pytest -q

docs: $(STAMP)
	$(BIN)/python -m scalebridge.docs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
