"""Time from POST /api/stories to narration and three illustrations all done, on real pieces.

The fake OpenAI server answers every call after a fixed latency (BENCH_AI_LATENCY seconds); the
app runs under gunicorn with a Celery worker on Redis and PostgreSQL. The calls that cannot
overlap are: moderate the input, write the story, moderate it, extract scenes, draw one picture
(narration and the other pictures run beside them), so the floor is 5 x latency. Prints each
run against that floor; the goal is at most 1.3x.
Run: `.venv/bin/python bench/generation_latency.py` (needs the machine's PostgreSQL and Redis).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.stack import (  # noqa: E402
    fake_openai,
    free_port,
    production_env,
    scratch_database,
    wait_healthy,
)

DB_NAME = "infinitestories_bench_generation"
LATENCY = float(os.environ.get("BENCH_AI_LATENCY", "1.0"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SERIAL_CALLS = 5


SEED = """
import django; django.setup()
from accounts import services
from accounts.models import User
from heroes.models import Hero
# Premium: enough stories and allowance for every run.
user = User.objects.create_user(email="bench@example.com", password="BenchPass123", subscription_tier="premium")
from django.conf import settings
services.consent_record(user=user, policy_version=settings.PARENTAL_CONSENT_POLICY_VERSION, ai_processing=True, third_party_disclosure=True, ip_address=None, user_agent="bench")
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
    settings = {"database": DB_NAME, "redis_db": 10, "media": media}
    fake = fake_openai(latency=LATENCY, env=production_env(openai_url="http://unused", **settings))
    env = {
        **production_env(openai_url=fake.base_url, **settings),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    python = str(ROOT / ".venv/bin/python")
    token, hero_id = scratch_database(DB_NAME, env, SEED).split()
    port = free_port()
    processes = [
        subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "infinitestories.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "120",
                "--no-control-socket",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen(
            [
                python,
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
        wait_healthy(base)
        time.sleep(3)  # let the worker connect to the broker
        floor = SERIAL_CALLS * LATENCY
        print(
            f"fake OpenAI latency {LATENCY:.2f} s a call; floor {floor:.2f} s ({SERIAL_CALLS} serial calls)\n"
        )
        ratios = []
        for run in range(RUNS):
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
            print(
                f"run {run + 1}: POST answered in {posted:.2f} s; all done in {total:.2f} s = {total / floor:.2f}x the floor ({pictures['status']})"
            )
        print(f"\nmedian {statistics.median(ratios):.2f}x the floor (goal <= 1.30x)")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        fake.stop()


if __name__ == "__main__":
    main()
