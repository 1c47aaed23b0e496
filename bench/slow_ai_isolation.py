"""Slow AI must not slow the library: GET /api/heroes while ten stories wait on a slow vendor.

Stories and avatars are written inside the request, so each story holds a web thread while the
vendor answers. This runs the Procfile's web command (gunicorn, gthread workers) on PostgreSQL and
Redis with production settings, against the fake OpenAI server answering every call after
BENCH_AI_LATENCY seconds (20 by default; a story makes three calls), and drives it with locust:

1. baseline: readers alone, GET /api/heroes for BENCH_SECONDS;
2. loaded: the same readers while ten families each ask for a story (held about a minute each).

Prints p50/p95/p99 of GET /api/heroes in both runs and how the stories ended. BENCH_WEB_COMMAND
runs another web command instead of the Procfile's, to compare (README has both figures).
Run: `.venv/bin/python bench/slow_ai_isolation.py` (needs the machine's PostgreSQL and Redis).
This file is also the locustfile the runs load (the Reader and StoryWriter users below).
"""

import csv
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from locust import HttpUser, between, constant, task

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "infinitestories_bench_isolation"
LATENCY = float(os.environ.get("BENCH_AI_LATENCY", "20"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "75"))
READERS = int(os.environ.get("BENCH_READERS", "4"))
WRITERS = 10

# --- the locust users (read their tokens from BENCH_FAMILIES, written by main) ---------------

_families = json.loads(os.environ.get("BENCH_FAMILIES", "{}"))
_writer_numbers = itertools.count()


class Reader(HttpUser):
    """A family browsing its library."""

    wait_time = between(0.05, 0.15)

    @task
    def heroes(self):
        headers = {"Authorization": f"Bearer {_families['reader']}"}
        self.client.get("/api/heroes", headers=headers, name="GET /api/heroes")


class StoryWriter(HttpUser):
    """A family asking for one story, then waiting (the request holds a web thread)."""

    fixed_count = WRITERS
    wait_time = constant(3600)

    def on_start(self):
        self.family = _families["writers"][next(_writer_numbers) % WRITERS]

    @task
    def story(self):
        self.client.post(
            "/api/stories",
            json={"heroId": self.family["hero"], "eventType": "bedtime", "generateAudio": False},
            headers={"Authorization": f"Bearer {self.family['token']}"},
            name="POST /api/stories",
            timeout=300,
        )


# --- the run -------------------------------------------------------------------------------

SEED = """
import json
import django; django.setup()
from accounts import services
from accounts.models import User
from heroes.models import Hero
from usage.models import StoryQuota

def family(n):
    user = User.objects.create_user(email=f"bench{n}@example.com", password="BenchPass123")
    StoryQuota.objects.create(user=user, stories_limit=1000)
    hero = Hero.objects.create(user=user, name=f"Hero {n}", age=7, traits=["brave"], appearance="red boots")
    _, token = services.session_create(user=user, ip_address="127.0.0.1", user_agent="bench")
    return user, hero, token

reader, _, reader_token = family("reader")
Hero.objects.bulk_create([Hero(user=reader, name=f"Hero {i}", age=6, traits=["kind"], appearance="a hat") for i in range(19)])
writers = [family(n) for n in range(10)]
print(json.dumps({"reader": reader_token, "writers": [{"token": t, "hero": h.pk} for _, h, t in writers]}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(base_url: str, media: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{ROOT / '.venv/bin'}:{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": "redis://127.0.0.1:6379/12",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-bench-only-secret-key-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "RATE_LIMITS": "api=1000000/m,story_generation=1000/h",
        "LOG_LEVEL": "WARNING",
        "AI_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": base_url,
        "AI_MAX_RETRIES": "0",
        "MEDIA_ROOT": media,
    }


def _procfile_web_command() -> str:
    """The Procfile's gunicorn command, as production runs it (collectstatic left out), unless
    BENCH_WEB_COMMAND names another to compare (e.g. sync workers)."""
    if os.environ.get("BENCH_WEB_COMMAND"):
        return os.environ["BENCH_WEB_COMMAND"]
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.split("&&", 1)[1].strip()
    raise SystemExit("no web process in the Procfile")


def _locust(base: str, env: dict, users: list[str], count: int, prefix: str) -> dict:
    """Run locust headless for SECONDS with `users`; the stats rows of its CSV, by name."""
    subprocess.run(
        [
            str(ROOT / ".venv/bin/locust"),
            "-f",
            __file__,
            *users,
            "--headless",
            "--host",
            base,
            "-u",
            str(count),
            "-r",
            str(count),
            "-t",
            f"{SECONDS}s",
            "--stop-timeout",
            "240",
            "--csv",
            prefix,
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", newline="") as file:
        return {row["Name"]: row for row in csv.DictReader(file)}


def _row(label: str, stats: dict) -> str:
    row = stats["GET /api/heroes"]
    return (
        f"{label:34} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7} "
        f"{row['Request Count']:>7} {row['Failure Count']:>7}"
    )


def main() -> None:
    sys.path.insert(0, str(ROOT))
    media = tempfile.mkdtemp(prefix="bench-media-")
    os.environ.update(_env("http://unused", media))
    import django

    django.setup()
    from tests.fakes.openai_server import FakeOpenAI

    fake = FakeOpenAI().start()
    fake.delay["/v1"] = LATENCY
    env = _env(fake.base_url, media)
    python = str(ROOT / ".venv/bin/python")
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {DB_NAME}"], check=True)
    subprocess.run(["redis-cli", "-n", "12", "flushdb"], check=True, capture_output=True)
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    families = subprocess.run(
        [python, "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    env["BENCH_FAMILIES"] = families
    port = _free_port()
    command = _procfile_web_command()
    server = subprocess.Popen(
        ["bash", "-c", f"exec {command} --log-level warning"],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
    )
    base = f"http://127.0.0.1:{port}"
    out = Path(tempfile.mkdtemp(prefix="bench-locust-"))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        print(f"web: {command}")
        print(f"fake OpenAI answers every call after {LATENCY:g} s; {SECONDS} s per run\n")
        baseline = _locust(base, env, ["Reader"], READERS, str(out / "baseline"))
        loaded = _locust(
            base, env, ["Reader", "StoryWriter"], READERS + WRITERS, str(out / "loaded")
        )
        print(
            f"{'GET /api/heroes (ms)':34} {'p50':>7} {'p95':>7} {'p99':>7} {'count':>7} {'fails':>7}"
        )
        print(_row(f"{READERS} readers alone", baseline))
        print(_row(f"{READERS} readers + {WRITERS} slow stories", loaded))
        stories = loaded.get("POST /api/stories")
        if stories:
            print(
                f"\nPOST /api/stories: {stories['Request Count']} sent, {stories['Failure Count']} "
                f"failed, p50 {stories['50%']} ms"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        fake.stop()


if __name__ == "__main__":
    main()
