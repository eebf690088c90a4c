# Two commands on a fresh machine: `make run` and `make test`.
# PYTHON builds the virtualenv VENV: `make test PYTHON=python3.13 VENV=.venv-py313` runs the suite on
# another supported Python (3.11 to 3.13; .ci/run does it for the newest) beside the usual .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` is local development: DEBUG on, dev secret key, SQLite unless DATABASE_URL is set.
RUN_ENV := DEBUG=1

.PHONY: run test install install-dev migrate import admin serve lint format typecheck typecheck-baseline bench bench-small clean

run: install migrate import admin serve

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

migrate: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py createcachetable
	$(RUN_ENV) $(BIN)/python manage.py rebuild_search_index --if-outdated

# A seed that fails to import is reported but does not stop the server from starting.
import: install
	-$(RUN_ENV) $(BIN)/python manage.py import_seeds seeds/

admin: install
	$(RUN_ENV) $(BIN)/python manage.py ensure_local_admin --base-url http://$(HOST):$(PORT)

# runserver in the foreground and, beside it, the task worker that runs admin uploads in the
# background (django-tasks' database backend); the worker stops when runserver does. It does
# not reload on code changes (runserver does): restart `make run` after changing a task. Before they
# start, retry_deliveries queues again the saved-search deliveries a crash or restart left unsent.
serve: install
	@echo "Serving on http://$(HOST):$(PORT)/  (API: /api/v1/  admin: /admin/)  with a task worker"
	@$(RUN_ENV) $(BIN)/python manage.py retry_deliveries
	@$(RUN_ENV) $(BIN)/python manage.py db_worker --no-reload --no-startup-delay & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TYPECHECK)
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run >/dev/null || \
		(echo "Model changes without a migration: run makemigrations." && exit 1)
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# mypy (strict; settings in pyproject.toml) with django-stubs and djangorestframework-stubs. The Django
# plugin loads archive_project.settings, which wants DEBUG (or a SECRET_KEY), never a database. An error
# not in .mypy-baseline.txt fails, and so does one that is listed but fixed: then run
# `make typecheck-baseline`, which rewrites the file from mypy's current errors (line numbers left out).
# A mypy crash (exit status 2) fails both rather than passing as "no errors".
MYPY_RUN = out=$$(mktemp) && { DEBUG=1 $(BIN)/mypy --no-error-summary > $$out; status=$$?; } && \
	if [ $$status -gt 1 ]; then cat $$out; rm -f $$out; exit $$status; fi
TYPECHECK = @$(MYPY_RUN); $(BIN)/mypy-baseline filter < $$out; status=$$?; rm -f $$out; exit $$status

typecheck: install-dev
	$(TYPECHECK)

typecheck-baseline: install-dev
	@$(MYPY_RUN); $(BIN)/mypy-baseline sync < $$out; status=$$?; rm -f $$out; exit $$status

# The benchmark (bench/archive_bench.py): SQLite in a temporary directory, or the PostgreSQL database
# named by BENCH_DATABASE_URL, which it DROPS and creates (never point it at data you keep).
BENCH_ARTICLES ?= 100000
BENCH_DATABASE_URL ?=
BENCH_DB = $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))

bench: install-dev
	env -u DATABASE_URL $(BIN)/python bench/archive_bench.py --articles $(BENCH_ARTICLES) $(BENCH_DB)

# CI's small run: 2,000 articles on SQLite, then on BENCH_DATABASE_URL if set. Fails on a crash or a
# server error, never on a missed target; the figures go to bench/out/, not to bench/results.md.
BENCH_SMALL = $(BIN)/python bench/archive_bench.py --articles 2000 --requests 5 --load-seconds 10 \
	--results bench/out/results-small.md
# With the saved-search matching benchmark's small version (bench/saved_search_matching.py), on the same databases.
MATCH_SMALL = $(BIN)/python bench/saved_search_matching.py --searches 500 --articles 500 \
	--results bench/out/results-small.md
bench-small: install-dev
	mkdir -p bench/out
	env -u DATABASE_URL $(BENCH_SMALL)
	$(if $(BENCH_DATABASE_URL),env -u DATABASE_URL $(BENCH_SMALL) $(BENCH_DB))
	env -u DATABASE_URL $(MATCH_SMALL)
	$(if $(BENCH_DATABASE_URL),env -u DATABASE_URL $(MATCH_SMALL) $(BENCH_DB))

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache staticfiles
