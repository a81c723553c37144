# The two commands of the README, and the steps they are made of.
# `make run`: the demo site on http://127.0.0.1:8000 (SQLite, emails on the console, sent by
#             an email worker started beside it).
# `make test`: lint, Django checks, migrations check and the whole test suite
#              (on PostgreSQL when DATABASE_URL points to it, on SQLite otherwise).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEV := DEBUG=true
TEST := DJANGO_SETTINGS_MODULE=tests.settings

.PHONY: run test install install-dev migrate demo serve lint messages bench fuzz ops-check

run: install migrate demo serve

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST) $(BIN)/python manage.py check --fail-level WARNING
	$(TEST) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py test

# The fuzz tests alone, with many new random examples each (docs/testing.md#fuzzing);
# `make test` runs them with a few fixed ones.
FUZZ_EXAMPLES ?= 2000
fuzz: install-dev
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/fuzz

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt locale/it/LC_MESSAGES/django.po | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(DEV) $(BIN)/python manage.py compile_translations
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

migrate: install
	$(DEV) $(BIN)/python manage.py migrate --noinput

demo: install
	$(DEV) $(BIN)/python manage.py load_demo

# The site and, beside it, the email worker that sends the booking emails (ADR 0013); both
# stop together.
serve: install
	$(DEV) $(BIN)/python manage.py email_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# Re-extract the strings to translate (needs GNU gettext: apt-get install gettext),
# then compile them. Translate the new entries in locale/it/LC_MESSAGES/django.po.
messages: install
	$(DEV) $(BIN)/python manage.py makemessages --locale it
	$(DEV) $(BIN)/python manage.py compile_translations

# The benchmark: the production topology under load (docs/performance.md). Needs PostgreSQL.
bench: install-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} $(BIN)/python bench/run.py

# The Ansible checks (infra/ansible/check.sh: syntax, ansible-lint, molecule, check mode), in
# their own virtualenv so that the application's pins stay apart. Run as root; CI runs it.
OPS_VENV ?= .venv-ops
ops-check: $(OPS_VENV)/.installed
	PATH="$(CURDIR)/$(OPS_VENV)/bin:$$PATH" infra/ansible/check.sh

$(OPS_VENV)/.installed: infra/ansible/requirements.txt
	$(PYTHON) -m venv $(OPS_VENV)
	$(OPS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OPS_VENV)/bin/pip install --quiet -r infra/ansible/requirements.txt
	touch $@
