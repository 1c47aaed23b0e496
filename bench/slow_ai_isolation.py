"""Slow AI must not slow the library: GET /api/heroes while ten stories wait on a slow vendor.

Stories and avatars are written inside the request, so each story holds a web thread while the
vendor answers. This runs the Procfile's web command (granian, threads) on PostgreSQL and
Redis with production settings, against the fake OpenAI server answering every call after
BENCH_AI_LATENCY seconds (20 by default; a story makes three calls), and drives it with locust:

1. baseline: readers alone, GET /api/heroes for BENCH_SECONDS;
2. loaded: the same readers while ten families each ask for a story (held about a minute each).

Prints p50/p95/p99 of GET /api/heroes in both runs and how the stories ended. BENCH_WEB_COMMAND
runs another web command instead of the Procfile's, to compare (README has both figures).
Run: `.venv/bin/python bench/slow_ai_isolation.py` (`make bench`; needs the machine's PostgreSQL
and Redis); BENCH_DB_NAME, BENCH_REDIS_URL and BENCH_PORT change the defaults.
This file is also the locustfile the runs load (the Reader and StoryWriter users below).
"""

import csv
import itertools
import json
import os
import subprocess
import tempfile
from pathlib import Path

import stack
from locust import HttpUser, between, constant, task

DB_NAME, REDIS_URL = stack.database_and_redis(
    db_name="infinitestories_bench_isolation", redis_db=12
)
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
from heroes.models import Hero

def family(n):
    user, token = bench_family(f"bench{n}@example.com")
    hero = Hero.objects.create(user=user, name=f"Hero {n}", age=7, traits=["brave"], appearance="red boots")
    return user, hero, token

reader, _, reader_token = family("reader")
Hero.objects.bulk_create([Hero(user=reader, name=f"Hero {i}", age=6, traits=["kind"], appearance="a hat") for i in range(19)])
writers = [family(n) for n in range(10)]
print(json.dumps({"reader": reader_token, "writers": [{"token": t, "hero": h.pk} for _, h, t in writers]}))
"""


def _locust(base: str, env: dict, users: list[str], count: int, prefix: str) -> dict:
    """Run locust headless for SECONDS with `users`; the stats rows of its CSV, by name."""
    subprocess.run(
        [
            str(stack.BIN / "locust"),
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
        cwd=stack.ROOT,
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
    fake = stack.fake_openai(latency=LATENCY)
    port = stack.port()
    env = stack.environment(
        db_name=DB_NAME, redis_url=REDIS_URL, PORT=str(port), **stack.openai_settings(fake)
    )
    env["BENCH_FAMILIES"] = stack.scratch_state(env=env, seed=SEED)
    web = stack.procfile("web", env=env, command=os.environ.get("BENCH_WEB_COMMAND"))
    base = f"http://127.0.0.1:{port}"
    out = Path(tempfile.mkdtemp(prefix="bench-locust-"))
    try:
        stack.wait_until_up(base, processes=[web])
        print(f"web: {os.environ.get('BENCH_WEB_COMMAND') or stack.procfile_command('web')}")
        print(
            f"fake OpenAI answers every call after {LATENCY:g} s; {SECONDS} s per run; load "
            f"average {stack.load_average()} at the start\n"
        )
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
        print(f"load average {stack.load_average()} at the end")
    finally:
        stack.stop([web])
        fake.stop()


if __name__ == "__main__":
    main()
