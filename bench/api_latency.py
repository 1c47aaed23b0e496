"""Latency of the hot read endpoints one at a time, on the Procfile's web command (granian),
PostgreSQL and Redis.

Seeds one family (heroes, stories, illustrations) in a scratch database, starts the web process
with production settings, sends a bounded number of requests from a few client threads, and
prints p50/p95/p99 and throughput per endpoint.
Run: `.venv/bin/python bench/api_latency.py` (`make bench`); BENCH_REQUESTS, BENCH_THREADS,
BENCH_DB_NAME, BENCH_REDIS_URL and BENCH_PORT change the defaults.
"""

import os
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import stack

DB_NAME, REDIS_URL = stack.database_and_redis(db_name="infinitestories_bench", redis_db=9)
REQUESTS_PER_ENDPOINT = int(os.environ.get("BENCH_REQUESTS", "400"))
CLIENT_THREADS = int(os.environ.get("BENCH_THREADS", "4"))
ENDPOINTS = ["/api/auth/session", "/api/heroes", "/api/stories?limit=50", "/api/user/profile"]


SEED = """
from heroes.models import Hero
from stories.models import Story, StoryIllustration
user, token = bench_family("bench@example.com")
heroes = Hero.objects.bulk_create(
    [Hero(user=user, name=f"Hero {i}", age=7, traits=["brave"], appearance="curly hair") for i in range(20)]
)
stories = Story.objects.bulk_create(
    [Story(user=user, hero=heroes[i % 20], title=f"Story {i}", content="Once upon a time. " * 200) for i in range(200)]
)
StoryIllustration.objects.bulk_create(
    [StoryIllustration(story=s, display_order=n, timestamp=30.0 * n) for s in stories for n in range(3)]
)
print(token)
"""


def main() -> None:
    port = stack.port()
    env = stack.environment(db_name=DB_NAME, redis_url=REDIS_URL, PORT=str(port))
    token = stack.scratch_state(env=env, seed=SEED)
    web = stack.procfile("web", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        stack.wait_until_up(base, processes=[web])

        def timed(path: str) -> float:
            request = urllib.request.Request(
                base + path, headers={"Authorization": f"Bearer {token}"}
            )
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
            return (time.perf_counter() - start) * 1000

        print(f"web: {stack.procfile_command('web')}")
        print(
            f"{CLIENT_THREADS} client threads, {REQUESTS_PER_ENDPOINT} requests per endpoint; "
            f"load average {stack.load_average()} at the start;"
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
        print(f"load average {stack.load_average()} at the end")
    finally:
        stack.stop([web])


if __name__ == "__main__":
    sys.exit(main())
