# README's commands. `make dev` on a fresh machine with Python 3.11: venv, install, migrate, run.
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 8000

.PHONY: install dev run test lint format migrate superuser demo worker beat ci bench

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"

.env:
	cp .env.example .env

dev: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_demo_admin
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

run:
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The suite runs against the machine's real PostgreSQL and Redis (override either variable).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/infinitestories
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
PYTEST_ARGS ?=

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate:
	$(BIN)/python manage.py migrate

superuser:
	$(BIN)/python manage.py createsuperuser

demo:
	$(BIN)/python manage.py demo_story

worker:
	$(BIN)/celery -A infinitestories worker -Q high,normal,low -l info

beat:
	$(BIN)/celery -A infinitestories beat -l info

ci:
	bash .ci/run

bench: install
	$(BIN)/python bench/api_latency.py
