"""Time from POST /api/stories to narration and three illustrations all done, on real pieces.

The fake OpenAI server answers every call after a fixed latency (BENCH_AI_LATENCY seconds, 0.3 by
default); the app runs under gunicorn with a Celery worker on Redis and PostgreSQL. The calls that
cannot overlap are: moderate the input, write the story, moderate it, extract scenes, draw one
picture (narration and the other pictures run beside them), so the floor is 5 x latency. Prints
each run against that floor (the goal is at most 1.3x), and how long after the POST answered the
worker's first vendor call came (the fixed cost of starting a job).
Run: `.venv/bin/python bench/generation_latency.py` (needs the machine's PostgreSQL and Redis;
BENCH_DB_NAME and BENCH_REDIS_URL choose the database and Redis DB it uses).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from stack import PYTHON, ROOT, environment, free_port, gunicorn, scratch_database, wait_until_up

sys.path.insert(0, str(ROOT))
DB_NAME = os.environ.get("BENCH_DB_NAME", "infinitestories_bench_generation")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
LATENCY = float(os.environ.get("BENCH_AI_LATENCY", "0.3"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SERIAL_CALLS = 5


def _env(base_url: str, media: str) -> dict[str, str]:
    return environment(
        db_name=DB_NAME,
        redis_url=REDIS_URL,
        RATE_LIMITS="api=1000000/m,story_generation=1000/h,status_poll=1000000/m",
        AI_PROVIDER="openai",
        OPENAI_API_KEY="sk-bench",
        OPENAI_BASE_URL=base_url,
        AI_MAX_RETRIES="0",
        MEDIA_ROOT=media,
        CELERY_TASK_ALWAYS_EAGER="false",
    )


SEED = """
import django; django.setup()
from accounts import services
from accounts.models import User
from heroes.models import Hero
from usage.models import StoryQuota
user = User.objects.create_user(email="bench@example.com", password="BenchPass123")
StoryQuota.objects.create(user=user, stories_limit=1000)
hero = Hero.objects.create(user=user, name="Alice", age=7, traits=["brave", "kind"], appearance="curly hair")
_, token = services.session_create(user=user, ip_address="127.0.0.1", user_agent="bench")
print(token, hero.pk)
"""


def _call(base: str, token: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def main() -> None:
    media = tempfile.mkdtemp(prefix="bench-media-")
    os.environ.update(_env("http://unused", media))
    import django

    django.setup()
    from tests.fakes.openai_server import FakeOpenAI

    fake = FakeOpenAI().start()
    fake.delay["/v1"] = LATENCY
    env = _env(fake.base_url, media)
    token, hero_id = scratch_database(db_name=DB_NAME, env=env, seed=SEED).split()
    port = free_port()
    processes = [
        gunicorn(port=port, env=env),
        subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "infinitestories",
                "worker",
                "-Q",
                "high,normal,low",
                "--concurrency",
                "4",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
        ),
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, path="/api/health")  # the worker answers its ping too
        floor = SERIAL_CALLS * LATENCY
        print(
            f"fake OpenAI latency {LATENCY:.2f} s a call; floor {floor:.2f} s ({SERIAL_CALLS} serial calls)\n"
        )
        ratios: list[float] = []
        starts: list[float] = []
        for run in range(RUNS):
            calls_before = len(fake.requests)
            start = time.perf_counter()
            story = _call(
                base,
                token,
                "/api/stories",
                {"heroId": hero_id, "eventType": "bedtime", "generateIllustrations": True},
            )
            story_id = story["story"]["id"]
            posted = time.perf_counter() - start
            while True:
                audio = _call(base, token, f"/api/stories/{story_id}/audio/status")
                pictures = _call(base, token, f"/api/stories/{story_id}/illustrations/status")
                if audio.get("audioGenerated") and pictures["status"] in (
                    "completed",
                    "partially_failed",
                    "failed",
                ):
                    break
                if time.perf_counter() - start > 120:
                    raise SystemExit(f"run {run}: not done after 120 s: {audio} {pictures}")
                time.sleep(0.05)
            total = time.perf_counter() - start
            ratios.append(total / floor)
            # the POST made three calls; the next one is the worker's first (scenes or speech)
            answered_at = time.time() - (total - posted)
            first_job_call = sorted(r.at for r in fake.requests[calls_before + 3 :])[0]
            starts.append(first_job_call - answered_at)
            print(
                f"run {run + 1}: POST answered in {posted:.2f} s; all done in {total:.2f} s = "
                f"{total / floor:.2f}x the floor ({pictures['status']}); the worker's first "
                f"vendor call {starts[-1] * 1000:.0f} ms after the answer"
            )
        print(
            f"\nmedian {statistics.median(ratios):.2f}x the floor (goal <= 1.30x); a job's first "
            f"vendor call came {statistics.median(starts) * 1000:.0f} ms (median) after the POST "
            "answered"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        fake.stop()


if __name__ == "__main__":
    main()
