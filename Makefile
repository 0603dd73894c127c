# One task runner; CI (.ci/run) runs the same checks.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup test lint typecheck contracts bench ci

setup:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -q -e '.[dev]'

test:
	$(PY) -m pytest

lint:
	$(VENV)/bin/ruff check kithkeep tests benchmarks
	$(VENV)/bin/ruff format --check kithkeep tests benchmarks

typecheck:
	$(VENV)/bin/mypy kithkeep

contracts:
	$(VENV)/bin/lint-imports

bench:
	$(PY) benchmarks/import_bench.py
	$(PY) benchmarks/store_bench.py
	$(PY) benchmarks/gmail_sync_bench.py
	$(PY) benchmarks/outlook_sync.py
	$(PY) benchmarks/imap_bench.py
	$(PY) benchmarks/intro_detection.py

ci:
	bash .ci/run
