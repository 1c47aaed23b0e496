"""Latency of the hot read endpoints under gunicorn, on PostgreSQL and Redis.

Seeds one family (heroes, stories, illustrations) in a scratch database, starts gunicorn on
loopback with production settings, sends a bounded number of requests from a few client threads,
and prints p50/p95/p99 per endpoint. Run: `make bench` (needs the machine's PostgreSQL and Redis).
"""

import os
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from stack import environment, free_port, gunicorn, scratch_database, wait_until_up

DB_NAME = os.environ.get("BENCH_DB_NAME", "infinitestories_bench")
REQUESTS_PER_ENDPOINT = int(os.environ.get("BENCH_REQUESTS", "400"))
CLIENT_THREADS = int(os.environ.get("BENCH_THREADS", "4"))
ENDPOINTS = ["/api/auth/session", "/api/heroes", "/api/stories?limit=50", "/api/user/profile"]


def _env() -> dict[str, str]:
    # The benchmark measures latency, not the limiter refusing it.
    return environment(
        db_name=DB_NAME,
        redis_url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        RATE_LIMITS="api=1000000/m",
    )


SEED = """
import django; django.setup()
from accounts import services
from accounts.models import User
from heroes.models import Hero
from stories.models import Story, StoryIllustration
user = User.objects.create_user(email="bench@example.com", password="BenchPass123")
heroes = Hero.objects.bulk_create(
    [Hero(user=user, name=f"Hero {i}", age=7, traits=["brave"], appearance="curly hair") for i in range(20)]
)
stories = Story.objects.bulk_create(
    [Story(user=user, hero=heroes[i % 20], title=f"Story {i}", content="Once upon a time. " * 200) for i in range(200)]
)
StoryIllustration.objects.bulk_create(
    [StoryIllustration(story=s, display_order=n, timestamp=30.0 * n) for s in stories for n in range(3)]
)
_, token = services.session_create(user=user, ip_address="127.0.0.1", user_agent="bench")
print(token)
"""


def main() -> None:
    env = _env()
    token = scratch_database(db_name=DB_NAME, env=env, seed=SEED).strip()
    port = free_port()
    server = gunicorn(port=port, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)

        def timed(path: str) -> float:
            request = urllib.request.Request(
                base + path, headers={"Authorization": f"Bearer {token}"}
            )
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
            return (time.perf_counter() - start) * 1000

        print(
            f"gunicorn 2 workers, {CLIENT_THREADS} client threads, {REQUESTS_PER_ENDPOINT} requests each;"
        )
        print("seed: 20 heroes, 200 stories, 600 illustrations\n")
        print(f"{'endpoint':28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}")
        for path in ENDPOINTS:
            for _ in range(20):  # warm-up
                timed(path)
            start = time.perf_counter()
            with ThreadPoolExecutor(CLIENT_THREADS) as pool:
                samples = sorted(pool.map(timed, [path] * REQUESTS_PER_ENDPOINT))
            elapsed = time.perf_counter() - start
            q = statistics.quantiles(samples, n=100)
            print(f"{path:28} {q[49]:8.1f} {q[94]:8.1f} {q[98]:8.1f} {len(samples) / elapsed:8.0f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
