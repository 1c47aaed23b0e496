"""What the benchmarks share: a free loopback port, a scratch PostgreSQL database migrated and
seeded with the project's own code, and waiting until a server answers /api/health."""

import os
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv/bin/python")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_database(name: str, env: dict, seed: str) -> str:
    """Drop and create database `name`, migrate it, run the `seed` script; return its output."""
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return subprocess.run(
        [PYTHON, "-c", seed], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def wait_healthy(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/health", timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


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
