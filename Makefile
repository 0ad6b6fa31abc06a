# The two commands of the README: `make run` and `make test`. Both build .venv first if needed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# The newest Python >= 3.12 on PATH or in pyenv (Django 6.1 needs 3.12).
PYTHON_FOR_VENV := $(shell for c in python3.14 python3.13 python3.12 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV) python3; do \
	  p=$$(command -v $$c 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; \
	done)

.PHONY: venv run test lint bench clean check-python

check-python:
	@if [ -z "$(PYTHON_FOR_VENV)" ]; then \
	  echo "No Python 3.12 or newer found on PATH or in pyenv. Install one (e.g. 'pyenv install 3.12') and retry." >&2; \
	  exit 1; fi

$(PY): | check-python
	$(PYTHON_FOR_VENV) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

# The task worker (it sends the notification mail) runs in the background beside the server; the
# trap stops it whenever runserver ends (Ctrl+C included). No autoreload for the worker: its
# reloader's child would outlive the kill.
run: venv
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_demo
	DJANGO_DEBUG=1 $(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

# House rules: ruff lint and format, and the one-way layers (pyproject.toml [tool.importlinter]).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache

# Benchmarks (bench/README.md): data at each SCALE, gunicorn + wrk, the Wagtail peer; writes
# bench/results/latest.md. `make bench SCALE="1000 100000"` adds the large scale (long).
SCALE ?= 1000
bench: venv
	$(PY) bench/run.py --scales $(SCALE) $(BENCH_ARGS)
