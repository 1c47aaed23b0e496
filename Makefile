# README's commands. `make dev` and `make test` on a fresh machine with Python 3.11 to 3.13 and make:
# every target installs what it needs.
# The newest Python 3.13, 3.12 or 3.11 on the PATH that runs (a pyenv shim of a missing version
# does not); name another with `make dev PY=/path/to/python3.12`.
SUPPORTED = import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
PY ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c '$(SUPPORTED)' 2>/dev/null && { echo $$p; break; }; done)
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 8000
# Exact versions and hashes of every package, transitive ones included (`make lock` rewrites it).
LOCK = requirements.lock
UV = uv==0.13.8

.PHONY: install dev run test lint format migrate superuser demo worker beat ci bench lock chromium \
	messages gettext fuzz smoke

$(BIN)/python:
	@test -n "$(PY)" && $(PY) -c '$(SUPPORTED)' 2>/dev/null || { \
		echo "Python 3.11 to 3.13 is needed: $(or $(PY),none was found on the PATH)."; \
		echo "Install one, or name it: make dev PY=/path/to/python3.12"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs from the lock (hash-checked), then the project itself; again only when either changes.
$(VENV)/.installed: $(BIN)/python $(LOCK) pyproject.toml
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

# After changing dependencies in pyproject.toml: resolve them again for Python 3.11 to 3.13.
lock: $(BIN)/python
	$(BIN)/pip install --quiet "$(UV)"
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --quiet --output-file $(LOCK)

.env:
	cp .env.example .env

dev: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py beat_schedule_apply
	$(BIN)/python manage.py ensure_demo_admin
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

run: install
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The browser tests (the API docs page) drive Debian's Chromium; playwright cannot download one.
chromium:
	@test -x /usr/bin/chromium || { \
		command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || { \
			echo "The browser tests need /usr/bin/chromium: sudo apt-get install chromium"; exit 1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Error messages and e-mails in the app's languages (README "Languages"): collect every message of
# the code and templates into locale/<lang>/LC_MESSAGES/django.po (translations kept, removed
# messages dropped), then compile the .mo files. Both are committed: deploys and CI build nothing.
# Needs GNU gettext (xgettext, msgmerge, msgfmt); installed with apt-get when missing. DJANGO_DEBUG:
# collecting messages needs no production secrets.
LOCALES = es fr de it
messages: install gettext
	DJANGO_DEBUG=true $(BIN)/python manage.py makemessages $(addprefix -l ,$(LOCALES)) --no-obsolete \
		--add-location=file --ignore=$(VENV) --ignore=tests --ignore=bench --ignore=scripts \
		--ignore=docs --ignore=var --ignore=staticfiles --ignore=build
	DJANGO_DEBUG=true $(BIN)/python manage.py compilemessages $(addprefix -l ,$(LOCALES)) \
		--ignore=$(VENV)

gettext:
	@command -v msgfmt >/dev/null && command -v xgettext >/dev/null || { \
		command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || { \
			echo "make messages needs GNU gettext: sudo apt-get install gettext"; exit 1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }

# Against PostgreSQL and Redis when they answer (DATABASE_URL / REDIS_URL, else TEST_DATABASE_URL /
# TEST_REDIS_URL, else the usual local ports); otherwise on the embedded default, and it says so.
# TEST_SERVICES=required (CI) refuses to fall back. See scripts/run_tests.py.
# TEST_WORKERS: pytest-xdist processes (one a core; 0 runs in this process).
PYTEST_ARGS ?=
TEST_WORKERS ?= 2

test: install chromium
	$(BIN)/python scripts/run_tests.py -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install
	$(BIN)/python manage.py migrate
	$(BIN)/python manage.py beat_schedule_apply

superuser: install
	$(BIN)/python manage.py createsuperuser

demo: install
	$(BIN)/python manage.py demo_story

worker: install
	$(BIN)/celery -A infinitestories worker -Q high,normal,low -l info

beat: install
	$(BIN)/celery -A infinitestories beat -l info

ci:
	bash .ci/run

# One minimal real call per configured AI vendor and model (a 20-word narration per voice, a
# tiny chat, one moderation) with the keys in the environment; each vendor without its key is
# skipped and says so. Spends a few cents; never run in CI. See scripts/smoke_vendors.py.
smoke: install
	$(BIN)/python scripts/smoke_vendors.py

# schemathesis against the running service (the Procfile's web, a Celery worker, PostgreSQL,
# Redis): every operation, every check, a fixed seed; fails on any finding. See
# scripts/fuzz_api.py.
fuzz: install
	$(BIN)/python scripts/fuzz_api.py

# Every benchmark whose figures docs/benchmarks.md gives (about 20 minutes; each stands up the
# Procfile's processes on the machine's PostgreSQL and Redis, with a scratch database of its own).
bench: install
	$(BIN)/python bench/per_request.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/generation_latency.py
	$(BIN)/python bench/slow_ai_isolation.py
	$(BIN)/python bench/api_latency.py
	$(BIN)/python bench/story_cost.py
