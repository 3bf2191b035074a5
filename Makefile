# minzheng — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench messages migrate demo venv frontend clean worker beat help

help:
	@echo "make run    — set up everything and serve http://$(HOST):$(PORT) with demo data"
	@echo "make test   — the whole test suite"
	@echo "make lint   — ruff, ruff format --check, mypy, makemigrations --check"
	@echo "make bench  — benchmarks (city scale needs DATABASE_URL=postgres://...)"

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend: node_modules/.installed

migrate: venv
	@mkdir -p var
	$(MANAGE) migrate --no-input

demo: migrate
	$(MANAGE) seed_demo --scale demo --seed 1 --if-empty

run: venv frontend demo
	$(MANAGE) demo_accounts
	$(MANAGE) runserver $(HOST):$(PORT)

worker: venv
	$(VENV)/bin/celery -A config worker --loglevel=info

beat: venv
	$(VENV)/bin/celery -A config beat --loglevel=info

test: venv frontend
	$(PY) -m pytest -q -p no:randomly $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy minzheng config
	$(MANAGE) makemigrations --check --dry-run

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Everything by default: seeding, search, the 1 M-row import, the determination (a)-(e),
# the payroll and the recalculation after a standard change. BENCH_ARGS replaces the flags.
BENCH_ARGS ?= --determination --payroll --recalculation
bench: venv
	$(PY) -m bench $(BENCH_ARGS)

messages: venv
	$(MANAGE) makemessages -l zh_Hans -l en --ignore=node_modules --ignore=.venv --ignore=var
	$(MANAGE) compilemessages --ignore=node_modules --ignore=.venv

clean:
	rm -rf var/minzheng.sqlite3* var/static
