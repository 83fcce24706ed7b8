# Rapport — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench loadtest migrate demo audit messages makemessages migrations-check clean

# The venv is rebuilt whenever a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

run: export DEBUG ?= 1
# Links in emails point at the port the app is served on (an explicit SITE_URL wins).
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(STAMP) messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "  Rapport is starting on http://127.0.0.1:$(PORT)/"
	@echo "  Sign in as demo@rapport.local / rapport-demo-2026"
	@echo "  Web, worker and beat run below; Ctrl-C stops all three."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) $(BIN)/honcho start -f Procfile

# The layers contract (docs/architecture.md) is checked first: a broken layer fails in seconds.
test: $(STAMP) messages
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: export DEBUG ?= 1
migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: export DEBUG ?= 1
demo: $(STAMP)
	$(BIN)/python manage.py seed_demo

migrations-check: export DEBUG ?= 1
migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

# Pages as multiples of a signed-in floor at 1x and 100x on SQLite (and PostgreSQL when DATABASE_URL is set),
# PASS/FAIL per cell, then the other benches with their verdicts. Quicker: BENCH_ARGS="--scales 1 --runs 50
# --only sqlite --extras none"; the table as markdown for the README: BENCH_ARGS="--markdown". DEBUG=1 only
# lets the settings load without a secret key; the timed requests run with DEBUG off.
bench: export DEBUG ?= 1
bench: export DJANGO_SETTINGS_MODULE = crm.settings_dev
bench: $(STAMP) messages
	$(BIN)/python manage.py bench $(BENCH_ARGS)

# Locust against gunicorn + PostgreSQL + Redis on loopback (needs DATABASE_URL and REDIS_URL); a throwaway
# database, seeded at 1x, dropped afterwards. Not part of `make test`. E.g. LOADTEST_ARGS="--run-time 30s".
LOAD_STAMP := $(VENV)/.installed-load
$(LOAD_STAMP): $(STAMP) requirements-load.txt
	$(BIN)/python -m pip install --quiet -r requirements-load.txt
	@touch $(LOAD_STAMP)

loadtest: $(LOAD_STAMP) messages
	$(BIN)/python -m devtools.loadtest.run $(LOADTEST_ARGS)

# Translations: locale/*/LC_MESSAGES/*.po are the source, the .mo files are compiled here
# (with Babel, only those older than their .po) and never committed.
messages: $(STAMP)
	$(BIN)/python -m kernel.i18n

# Collect new translatable strings into the catalogs (needs GNU gettext: apt install gettext),
# then translate the new empty entries in locale/ru/LC_MESSAGES/django.po.
makemessages: export DEBUG ?= 1
makemessages: $(STAMP)
	$(BIN)/python manage.py makemessages --all --no-obsolete --ignore=.venv --ignore=var --ignore=node_modules --ignore=tests

# pip-audit needs the package index; it is deliberately not part of `make test`.
audit: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/pip-audit -r requirements.txt

clean:
	rm -rf var/celery var/celerybeat-schedule* var/test-rapport.sqlite3
