"""Load on the real stack: the Procfile's web command (granian) on PostgreSQL and Redis
on this machine, driven by locust (headless).

1. The PRD's scenario: 100 families, each making one request a second, spread evenly over
   listing heroes, listing stories, opening a story with its illustrations, and counting a
   listen. Prints P50, P95, P99 and the error rate per request and in all.
2. Maximum throughput of GET /api/heroes as a ratio to GET /api/auth/session (a trivial
   authenticated endpoint: token check, rate-limit count, one small answer) on the same server:
   how much the hero list itself costs.

The limits are raised so that the limiter never refuses a request (it still counts each one in
Redis). Seeded: 100 families with 5 heroes, 20 stories (about 3,600 characters each) and 3
illustrations a story. The load generator shares the machine's cores with the server.
Run: `.venv/bin/python bench/load.py` (`make bench`); BENCH_USERS, BENCH_SECONDS,
BENCH_PEAK_SECONDS, BENCH_DB_NAME, BENCH_REDIS_URL and BENCH_PORT change the defaults, and
WEB_CONCURRENCY / WEB_THREADS the web command's processes and threads, as in production.
"""

import json
import os
import random
import sys
import time

import gevent
import stack
from locust import FastHttpUser, constant, task
from locust.env import Environment

DB_NAME, REDIS_URL = stack.database_and_redis(db_name="infinitestories_bench_load", redis_db=11)
USERS = int(os.environ.get("BENCH_USERS", "100"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "60"))
PEAK_SECONDS = int(os.environ.get("BENCH_PEAK_SECONDS", "20"))

SEED = """
from heroes.models import Hero
from stories.models import Story, StoryIllustration
families = []
for n in range(int(sys.argv[1])):
    user, token = bench_family(f"family{n}@example.com")
    heroes = Hero.objects.bulk_create([
        Hero(user=user, name=f"Hero {i}", age=7, traits=["brave", "kind"], appearance="curly hair")
        for i in range(5)
    ])
    stories = Story.objects.bulk_create([
        Story(user=user, hero=heroes[i % 5], title=f"Story {i}", content="Once upon a time. " * 200,
              audio_key=f"audio/{user.pk}-{i}.mp3", audio_generated=True, audio_duration=240.0)
        for i in range(20)
    ])
    StoryIllustration.objects.bulk_create([
        StoryIllustration(story=s, display_order=n, timestamp=60.0 * n,
                          image_key=f"illustrations/{s.pk}-{n}.png", generation_status="completed")
        for s in stories for n in range(3)
    ])
    families.append({"token": token, "stories": [s.pk for s in stories]})
print(json.dumps(families))
"""


FAMILIES: list[dict] = []


ARRIVALS = os.environ.get("BENCH_ARRIVALS", "open")


class Family(FastHttpUser):
    """One family's app: one request a second on average, spread over the four reads of the PRD
    scenario.

    Open loop (the default): each family's requests arrive as a Poisson process of rate 1/s
    whose times do not depend on the answers (a family waits only while its own request is
    open, as the app does), so 100 families make 100 req/s arriving independently.
    BENCH_ARRIVALS=burst keeps the earlier shape (locust's `constant_throughput(1)`): one
    request a second from the moment locust spawned the family, 20 families at a time, so each
    second's requests arrive together in five bursts of 20.
    """

    def wait_time(self) -> float:
        self.next_arrival += 1.0 if ARRIVALS == "burst" else random.expovariate(1.0)
        return max(0.0, self.next_arrival - time.monotonic())

    def on_start(self):
        self.family = FAMILIES[self.environment.runner.user_count % len(FAMILIES)]
        self.auth = {"Authorization": f"Bearer {self.family['token']}"}
        if ARRIVALS != "burst":
            gevent.sleep(random.expovariate(1.0))
        self.next_arrival = time.monotonic()

    @task
    def list_heroes(self):
        self.client.get("/api/heroes", headers=self.auth, name="GET /api/heroes")

    @task
    def list_stories(self):
        self.client.get("/api/stories", headers=self.auth, name="GET /api/stories")

    @task
    def story_with_illustrations(self):
        story = random.choice(self.family["stories"])
        self.client.get(
            f"/api/stories/{story}?includeIllustrations=true",
            headers=self.auth,
            name="GET /api/stories/{id}?includeIllustrations=true",
        )

    @task
    def listen(self):
        story = random.choice(self.family["stories"])
        self.client.post(
            f"/api/stories/{story}/listen", headers=self.auth, name="POST /api/stories/{id}/listen"
        )


def _as_fast_as_possible(path: str) -> type[FastHttpUser]:
    class Flood(FastHttpUser):
        wait_time = constant(0)

        def on_start(self):
            family = FAMILIES[self.environment.runner.user_count % len(FAMILIES)]
            self.auth = {"Authorization": f"Bearer {family['token']}"}

        @task
        def get(self):
            self.client.get(path, headers=self.auth, name=f"GET {path}")

    return Flood


def _run(host: str, user_class, users: int, seconds: int):
    env = Environment(user_classes=[user_class], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(1, users // 5))
    gevent.sleep(users // max(1, users // 5) + 1)  # everyone started
    env.stats.reset_all()
    gevent.sleep(seconds)
    runner.quit()
    for error in env.stats.errors.values():
        print(f"  {error.occurrences} x {error.method} {error.name}: {error.error}")
    return env.stats


def _row(name: str, entry) -> str:
    def percentile(p: float) -> str:
        return f"{entry.get_response_time_percentile(p):.0f}"

    errors = entry.num_failures / entry.num_requests * 100 if entry.num_requests else 0.0
    return (
        f"| `{name}` | {entry.num_requests} | {percentile(0.5)} | {percentile(0.95)} | "
        f"{percentile(0.99)} | {errors:.2f} % | {entry.total_rps:.0f} |"
    )


def main() -> None:
    port = stack.port()
    env = stack.environment(db_name=DB_NAME, redis_url=REDIS_URL, PORT=str(port))
    FAMILIES.extend(json.loads(stack.scratch_state(env=env, seed=SEED, args=(str(USERS),))))
    web = stack.procfile("web", env=env)
    host = f"http://127.0.0.1:{port}"
    try:
        stack.wait_until_up(host, processes=[web])

        print(
            f"web: {stack.procfile_command('web')}, on PostgreSQL and Redis; {len(FAMILIES)} "
            "families with 5 heroes, 20 stories and 60 illustrations each; load average "
            f"{stack.load_average()} at the start\n"
        )
        stats = _run(host, Family, USERS, SECONDS)
        print(f"1. {USERS} families, one request a second each, for {SECONDS} s\n")
        print("| request | count | P50 ms | P95 ms | P99 ms | errors | req/s |")
        print("|---|---|---|---|---|---|---|")
        for (name, _method), entry in sorted(stats.entries.items()):
            print(_row(name, entry))
        print(_row("all", stats.total))

        print(f"\n2. Maximum throughput, {USERS} clients without pauses, {PEAK_SECONDS} s each\n")
        peak = {}
        for path in ("/api/auth/session", "/api/heroes"):
            peak[path] = _run(host, _as_fast_as_possible(path), USERS, PEAK_SECONDS).total
            print(
                f"GET {path}: {peak[path].total_rps:.0f} req/s "
                f"(P50 {peak[path].get_response_time_percentile(0.5):.0f} ms, "
                f"errors {peak[path].num_failures})"
            )
        ratio = peak["/api/heroes"].total_rps / peak["/api/auth/session"].total_rps
        print(f"GET /api/heroes runs at {ratio:.2f}x the throughput of GET /api/auth/session")
        print(f"\nload average {stack.load_average()} at the end")
    finally:
        stack.stop([web])


if __name__ == "__main__":
    sys.exit(main())
