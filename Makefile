# One venv, made from nothing with only Python 3.11: `make test` and `make demo` do all set-up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install constraints generate test demo conform bench lint typecheck clean soak soak-short

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Re-pin constraints.txt to what the current venv resolved (after changing pyproject.toml's ranges).
constraints: install
	{ echo "# Exact versions CI and 'make install' use (pip freeze of a working .venv); refresh with 'make constraints'."; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > constraints.txt

generate: install
	PATH=$(BIN):$$PATH $(BIN)/python -m tools.regen $(ARGS)

test: install
	$(BIN)/python -m pytest

typecheck: install
	$(BIN)/mypy

lint: install
	$(BIN)/ruff check src tools contract_tests tests benchmarks examples

demo: install
	$(BIN)/python examples/demo.py

conform: install
	$(BIN)/vertex-tuning conform --serve-reference

bench: install
	$(BIN)/python benchmarks/run.py

# Faults, kill -9, 8 processes and schemathesis against the reference server; prints one table (< 10 min).
soak: install
	$(BIN)/python -m tools.soak

soak-short: install
	$(BIN)/python -m tools.soak --short

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache
