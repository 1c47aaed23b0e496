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
import subprocess
import sys
import tempfile
from pathlib import Path

from locust import HttpUser, between, constant, task

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.stack import (  # noqa: E402
    fake_openai,
    free_port,
    production_env,
    scratch_database,
    wait_until_up,
)

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
    media = tempfile.mkdtemp(prefix="bench-media-")
    settings = {"database": DB_NAME, "redis_db": 12, "media": media}
    fake = fake_openai(latency=LATENCY, env=production_env(openai_url="http://unused", **settings))
    env = production_env(openai_url=fake.base_url, **settings)
    subprocess.run(["redis-cli", "-n", "12", "flushdb"], check=True, capture_output=True)
    env["BENCH_FAMILIES"] = scratch_database(db_name=DB_NAME, env=env, seed=SEED).strip()
    port = free_port()
    command = _procfile_web_command()
    server = subprocess.Popen(
        ["bash", "-c", f"exec {command} --log-level warning"],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
    )
    base = f"http://127.0.0.1:{port}"
    out = Path(tempfile.mkdtemp(prefix="bench-locust-"))
    try:
        wait_until_up(base)
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
