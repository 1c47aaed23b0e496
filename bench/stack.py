"""What every benchmark does to stand the real stack up on this machine: a scratch PostgreSQL
database with the migrations applied and seed data, gunicorn with production settings, and a
wait until it answers (/api/health/ready for the web alone; /api/health once a Celery worker
answers too).
"""

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv/bin/python")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(*, db_name: str, redis_url: str, **overrides: str) -> dict[str, str]:
    """Production settings on loopback; overrides win (RATE_LIMITS, the AI provider...)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-bench-only-secret-key-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        **overrides,
    }


def scratch_database(*, db_name: str, env: dict[str, str], seed: str, args: tuple = ()) -> str:
    """A fresh database `db_name`, migrated, seeded by the Python code `seed`; its output."""
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {db_name}"], check=True)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return subprocess.run(
        [PYTHON, "-c", seed, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def gunicorn(
    *, port: int, env: dict[str, str], workers: int = 2, threads: int = 1, log=None
) -> subprocess.Popen:
    """gunicorn on loopback; with threads, the gthread workers the Procfile runs. Its output
    goes to `log` (a file) when given."""
    threaded = ["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []
    return subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "infinitestories.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--no-control-socket",
            "--log-level",
            "warning",
            *threaded,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )


def wait_until_up(base: str, *, path: str = "/api/health/ready", timeout: float = 90) -> None:
    """Until `path` answers 200: a 503 (a piece not up yet) raises HTTPError, an OSError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{base}{path}", timeout=5)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def production_env(*, database: str, redis_db: int, openai_url: str, media: str) -> dict:
    """Production settings on the machine's PostgreSQL and Redis, OpenAI at `openai_url` (the
    fake server) without SDK retries, limits out of the way of the load."""
    return {
        **os.environ,
        "PATH": f"{ROOT / '.venv/bin'}:{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-bench-only-secret-key-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "RATE_LIMITS": "api=1000000/m,story_generation=1000/h,status_poll=1000000/m",
        "LOG_LEVEL": "WARNING",
        "AI_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": openai_url,
        "AI_MAX_RETRIES": "0",
        "MEDIA_ROOT": media,
    }


def fake_openai(*, latency: float, env: dict):
    """The tests' fake OpenAI server, in this process, answering every call after `latency` s."""
    os.environ.update(env)
    import django

    django.setup()
    from tests.fakes.openai_server import FakeOpenAI

    fake = FakeOpenAI().start()
    fake.delay["/v1"] = latency
    return fake
