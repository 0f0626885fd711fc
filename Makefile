# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench migrate seed messages worker clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

install: $(VENV)/.installed node_modules/.package-lock.json
	@mkdir -p var
	@# Compiled catalogues are committed too, so a machine without gettext still has them.
	if command -v msgfmt >/dev/null; then $(BIN)/python manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules; fi

migrate: install
	$(BIN)/python manage.py migrate -v0

seed: migrate
	$(BIN)/python manage.py load_divisions
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py build_daily_report --last 14

## Run the application with demo data on SQLite and eager Celery; no server needed. With it, the
## stand-in population registry (on REGISTRY_PORT, reading the file police_demo writes) and the
## registry batch every minute (what Celery beat does in production); Ctrl-C stops all three.
PORT ?= 8000
REGISTRY_PORT ?= 8077
REGISTRY_CSV := var/registry.csv
run: seed
	$(BIN)/python manage.py police_demo --registry $(REGISTRY_CSV)
	@echo ""
	@echo "VaxRecon is starting. Log in at http://127.0.0.1:$(PORT)/login/ with a demo account above."
	@echo "Citizens' public pages need no account. Stop with Ctrl-C."
	@echo "Stand-in population registry on port $(REGISTRY_PORT) ($(REGISTRY_CSV)); registry batch every 60 s."
	@export POPULATION_REGISTRY_URL=http://127.0.0.1:$(REGISTRY_PORT) PUBLIC_BASE_URL=http://127.0.0.1:$(PORT); \
	$(BIN)/python manage.py run_population_registry --port $(REGISTRY_PORT) --data $(REGISTRY_CSV) & registry=$$!; \
	$(BIN)/python manage.py verify_identities --every 60 & batch=$$!; \
	trap 'kill $$registry $$batch 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## The test suite. Uses DATABASE_URL / CELERY_BROKER_URL when set (CI: PostgreSQL + Redis).
test: install
	DJANGO_SETTINGS_MODULE=vaxrecon.settings.test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

## Every benchmark on PostgreSQL at the issues' sizes; QUICK=1: every one small (CI runs that).
bench: install
	$(BIN)/python bench/run_all.py $(if $(QUICK),--quick,)

messages:
	$(BIN)/python manage.py makemessages -l vi -l en --ignore=.venv --ignore=node_modules --ignore=bench

worker: install
	$(BIN)/celery -A vaxrecon worker -l info --concurrency 2

clean:
	rm -rf $(VENV) node_modules var static_build
