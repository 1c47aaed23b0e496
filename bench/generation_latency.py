"""Time from POST /api/stories to narration and three illustrations all done, on real pieces.

The fake OpenAI server answers every call after a fixed latency (BENCH_AI_LATENCY seconds, 0.3 by
default); the app runs the Procfile's web (granian) and worker (Celery) commands on Redis
and PostgreSQL. The calls that cannot overlap are six: in the request, moderate the input, write
the story, moderate it; in the pictures job, extract scenes, draw a picture, moderate the picture
(narration, speech then transcription for the read-along timings, and the other pictures run
beside them), so the floor is 6 x latency. Prints each run against that floor (the goal is at
most 1.3x), and how long after the POST answered the worker's first vendor call came (the fixed
cost of starting a job); BENCH_TIMELINE=1 also prints every vendor call of each run.
Run: `.venv/bin/python bench/generation_latency.py` (`make bench`; needs the machine's PostgreSQL
and Redis); BENCH_RUNS (5), BENCH_DB_NAME, BENCH_REDIS_URL and BENCH_PORT change the defaults.
"""

import json
import os
import statistics
import time
import urllib.request

import stack

DB_NAME, REDIS_URL = stack.database_and_redis(
    db_name="infinitestories_bench_generation", redis_db=10
)
LATENCY = float(os.environ.get("BENCH_AI_LATENCY", "0.3"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SERIAL_CALLS = 6
TIMELINE = bool(os.environ.get("BENCH_TIMELINE"))
DONE = ("completed", "partially_failed", "failed")

# One family a run, so no run meets the plan's daily ceiling or monthly stories.
SEED = """
from heroes.models import Hero
families = []
for n in range(int(sys.argv[1])):
    user, token = bench_family(f"bench{n}@example.com")
    hero = Hero.objects.create(
        user=user, name="Alice", age=7, traits=["brave", "kind"], appearance="curly hair"
    )
    families.append({"token": token, "hero": hero.pk})
print(json.dumps(families))
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


def _story_until_done(base: str, family: dict) -> tuple[float, float, float, str]:
    """POST a story with narration and three pictures, poll both until done: the seconds the POST
    took, the seconds it all took, when (wall clock) the POST answered, the pictures' status."""
    token = family["token"]
    start = time.perf_counter()
    story = _call(
        base,
        token,
        "/api/stories",
        {"heroId": family["hero"], "eventType": "bedtime", "generateIllustrations": True},
    )
    posted_at, posted = time.time(), time.perf_counter() - start
    story_id = story["story"]["id"]
    while True:
        audio = _call(base, token, f"/api/stories/{story_id}/audio/status")
        pictures = _call(base, token, f"/api/stories/{story_id}/illustrations/status")
        if audio.get("audioGenerated") and pictures["status"] in DONE:
            return posted, time.perf_counter() - start, posted_at, pictures["status"]
        if time.perf_counter() - start > 120:
            raise SystemExit(f"story {story_id} not done after 120 s: {audio} {pictures}")
        time.sleep(0.05)


def main() -> None:
    fake = stack.fake_openai(latency=LATENCY)
    port = stack.port()
    env = stack.environment(
        db_name=DB_NAME, redis_url=REDIS_URL, PORT=str(port), **stack.openai_settings(fake)
    )
    families = json.loads(stack.scratch_state(env=env, seed=SEED, args=(str(RUNS),)))
    processes = [stack.procfile("web", env=env), stack.procfile("worker", env=env)]
    base = f"http://127.0.0.1:{port}"
    try:
        # /api/health answers 200 once a worker answers its ping too
        stack.wait_until_up(base, path="/api/health", processes=processes)
        floor = SERIAL_CALLS * LATENCY
        print(
            f"fake OpenAI latency {LATENCY:.2f} s a call; floor {floor:.2f} s ({SERIAL_CALLS} "
            f"serial calls); load average {stack.load_average()} at the start\n"
        )
        ratios: list[float] = []
        starts: list[float] = []
        for run, family in enumerate(families, start=1):
            calls_before = len(fake.requests)
            posted, total, posted_at, status = _story_until_done(base, family)
            calls = sorted(fake.requests[calls_before:], key=lambda call: call.at)
            # The POST's own calls came before it answered; the next is the worker's first.
            first_job_call = next(call.at for call in calls if call.at >= posted_at)
            ratios.append(total / floor)
            starts.append(first_job_call - posted_at)
            print(
                f"run {run}: POST answered in {posted:.2f} s; "
                f"all done in {total:.2f} s = {total / floor:.2f}x the floor ({status}); the "
                f"worker's first vendor call {starts[-1] * 1000:.0f} ms after the answer"
            )
            if TIMELINE:
                origin = calls[0].at
                for call in calls:
                    print(f"    {(call.at - origin) * 1000:7.0f} ms  {call.path}")
        print(
            f"\nmedian of {RUNS} runs {statistics.median(ratios):.2f}x the floor (goal <= 1.30x); "
            f"a job's first vendor call came {statistics.median(starts) * 1000:.0f} ms (median) "
            f"after the POST answered; load average {stack.load_average()} at the end"
        )
    finally:
        stack.stop(processes)
        fake.stop()


if __name__ == "__main__":
    main()
