"""What a request costs beside the framework's floor, and the worker shape, in one run.

Side by side on this machine, same PostgreSQL and Redis, one server at a time:
- the floor (bench/floor/: a minimal Django + DRF project, DRF token auth, one small JSON
  object) on 2 sync gunicorn workers, and on the Procfile's worker class (gthread 2 x 16);
- our web as the Procfile runs it (gthread), the same without kept answers
  (ANSWER_CACHE_BYTES=0), and on 2 sync workers;
each measured on GET /api/auth/session, /api/heroes and /api/stories at 1 connection (median
and p90 latency, server CPU per request) and at 16 connections (req/s), both with a new
connection per request and with connections kept alive (a sync worker closes every connection
after its answer; the client then opens another), then the PRD's load scenario (bench/load.py's families: 100 a second of list/detail/listen traffic) on each shape of
our web, with P50/P95/P99 and errors, its requests arriving open loop and, for comparison, in
the bursts the earlier harness made. The load generator shares the cores: compare ratios.
Run: `.venv/bin/python bench/per_request.py` (`make bench`); BENCH_REQUESTS (1 connection),
BENCH_SECONDS (16 connections), BENCH_PRD_SECONDS, BENCH_USERS and BENCH_ARRIVALS ("open,burst")
change the defaults; BENCH_BASELINE=<another checkout> measures its web too (before/after, same
database).
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import stack

ROOT = stack.ROOT
FLOOR = Path(__file__).resolve().parent / "floor"
DB_NAME, REDIS_URL = stack.database_and_redis(db_name="infinitestories_bench_cost", redis_db=12)
FLOOR_DB = os.environ.get("BENCH_FLOOR_DB_NAME", "infinitestories_bench_floor")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
PRD_SECONDS = int(os.environ.get("BENCH_PRD_SECONDS", "30"))
USERS = int(os.environ.get("BENCH_USERS", "100"))
OURS = ["/api/auth/session", "/api/heroes", "/api/stories"]
# The PRD load's arrivals: open loop (the scenario), and the bursts the earlier harness made.
ARRIVALS = os.environ.get("BENCH_ARRIVALS", "open,burst").split(",")


def server_cpu(process: subprocess.Popen) -> float:
    """CPU seconds used so far by a server and all its workers."""
    root = psutil.Process(process.pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def get(port: int, path: str, auth: str, kept: http.client.HTTPConnection | None = None) -> float:
    """One GET, on a new connection or on `kept` (reopened by http.client when the server
    closed it, as sync workers do after every answer)."""
    start = time.perf_counter()
    connection = kept or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Authorization": auth})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
    finally:
        if kept is None:
            connection.close()
    return (time.perf_counter() - start) * 1000


def connection_for(port: int, keep: bool) -> http.client.HTTPConnection | None:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30) if keep else None


def one_connection(server, port: int, path: str, auth: str, keep: bool) -> dict:
    kept = connection_for(port, keep)
    for _ in range(30):
        get(port, path, auth, kept)
    cpu = server_cpu(server)
    samples = [get(port, path, auth, kept) for _ in range(REQUESTS)]
    cpu = server_cpu(server) - cpu
    if kept:
        kept.close()
    q = statistics.quantiles(samples, n=10)
    return {"median": statistics.median(samples), "p90": q[8], "cpu": cpu / REQUESTS * 1000}


def sixteen_connections(port: int, path: str, auth: str, keep: bool) -> float:
    done = [0] * 16
    deadline = time.perf_counter() + SECONDS

    def client(n: int) -> None:
        kept = connection_for(port, keep)
        while time.perf_counter() < deadline:
            get(port, path, auth, kept)
            done[n] += 1
        if kept:
            kept.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - start)


def fresh_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


SYNC_FLOOR = "floor (DRF token, 2 sync)"
GTHREAD_FLOOR = "floor (DRF token, gthread 2 x 16)"
MODES = {"new": False, "kept": True}  # a new connection per request; one kept-alive connection


def measure(name: str, server, port: int, paths: list[str], auth: str, rows: list) -> None:
    for path in paths:
        for mode, keep in MODES.items():
            single = one_connection(server, port, path, auth, keep)
            rate = sixteen_connections(port, path, auth, keep)
            rows.append({"server": name, "path": path, "mode": mode, **single, "rps16": rate})
            print(
                f"  {name:28} {path:20} {mode:4} median {single['median']:6.1f} ms  p90 "
                f"{single['p90']:6.1f} ms  CPU {single['cpu']:5.2f} ms/req  16 conn {rate:6.0f} "
                "req/s",
                flush=True,
            )


def prd_load(port: int, arrivals: str) -> dict:
    """bench/load.py's PRD scenario against the running server, in this process (locust), with
    its requests arriving open loop or in bursts (load.Family)."""
    import load

    load.ARRIVALS = arrivals
    stats = load._run(f"http://127.0.0.1:{port}", load.Family, USERS, PRD_SECONDS).total
    return {
        "count": stats.num_requests,
        "errors": stats.num_failures,
        "rps": stats.total_rps,
        **{p: stats.get_response_time_percentile(q) for p, q in (("P50", 0.5), ("P95", 0.95))},
        "P99": stats.get_response_time_percentile(0.99),
    }


def main() -> None:
    import load

    print(f"load average {stack.load_average()} at the start; {os.cpu_count()} cores", flush=True)
    rows: list[dict] = []
    prd: dict[str, dict] = {}

    # The floor.
    fresh_database(FLOOR_DB)
    floor_env = {**os.environ, "PYTHONPATH": str(FLOOR), "FLOOR_DB_NAME": FLOOR_DB}
    token = subprocess.run(
        [stack.PYTHON, "seed.py"],
        cwd=FLOOR,
        env=floor_env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    stack.vacuum_analyze(f"postgres://postgres@127.0.0.1:5432/{FLOOR_DB}")
    # On sync workers, and on the Procfile's worker class and size (what the class itself costs).
    floors = {
        SYNC_FLOOR: ["--workers", "2", "--worker-class", "sync"],
        GTHREAD_FLOOR: [
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "16",
            "--keep-alive",
            "75",
        ],
    }
    for name, shape in floors.items():
        port = stack.port()
        floor = subprocess.Popen(
            [
                str(stack.BIN / "gunicorn"),
                "floor_wsgi",
                *shape,
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
            ],
            cwd=FLOOR,
            env=floor_env,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    get(port, "/floor/session", f"Token {token}")
                    break
                except (OSError, SystemExit):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            measure(name, floor, port, ["/floor/session"], f"Token {token}", rows)
        finally:
            stack.stop([floor])

    # Ours: the PRD's families (bench/load.py), the first one's token for the single requests.
    port = stack.port()
    env = stack.environment(db_name=DB_NAME, redis_url=REDIS_URL, PORT=str(port))
    families = json.loads(stack.scratch_state(env=env, seed=load.SEED, args=(str(USERS),)))
    load.FAMILIES.extend(families)
    auth = f"Bearer {families[0]['token']}"
    procfile = stack.procfile_command("web")
    shapes = {
        "ours, Procfile": (procfile, {}),
        # Every answer rendered anew: what a list costs when it is not the one kept by its ETag.
        "ours, Procfile, no kept answers": (procfile, {"ANSWER_CACHE_BYTES": "0"}),
        "ours, 2 sync workers": (
            procfile.replace("--worker-class gthread", "--worker-class sync"),
            {"WEB_THREADS": "1"},
        ),
    }
    baseline = os.environ.get("BENCH_BASELINE")
    if baseline:  # another checkout (e.g. main's), on the same database, for before/after
        shapes = {
            f"before ({Path(baseline).name}), Procfile": (
                f"{procfile} --chdir {Path(baseline).resolve()}",
                {"PYTHONPATH": str(Path(baseline).resolve())},
            ),
            **shapes,
        }
    for name, (command, extra) in shapes.items():
        web = stack.procfile("web", env={**env, **extra}, command=command)
        try:
            stack.wait_until_up(f"http://127.0.0.1:{port}", processes=[web])
            measure(name, web, port, OURS, auth, rows)
            for arrivals in ARRIVALS:
                result = prd[f"{name}, {arrivals}"] = prd_load(port, arrivals)
                print(
                    f"  {name:28} PRD load ({arrivals}) {result['rps']:.0f} req/s: "
                    f"P50 {result['P50']:.0f} ms, P95 {result['P95']:.0f} ms, "
                    f"P99 {result['P99']:.0f} ms, {result['errors']} errors of {result['count']}",
                    flush=True,
                )
        finally:
            stack.stop([web])

    def floor_of(row: dict, name: str = SYNC_FLOOR) -> dict:
        return next(r for r in rows if r["server"] == name and r["mode"] == row["mode"])

    def same_class_floor(row: dict) -> dict:
        """The floor on the row's worker class: gthread for the Procfile's shapes."""
        return floor_of(row, SYNC_FLOOR if "sync" in row["server"] else GTHREAD_FLOOR)

    print(f"\nload average {stack.load_average()} at the end\n")
    print(
        "| server | endpoint | connection | median ms | p90 ms | CPU ms/req | x sync floor CPU "
        "| x same-class floor CPU | 16 conn req/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['server']} | `{row['path']}` | {row['mode']} | {row['median']:.1f} | "
            f"{row['p90']:.1f} | {row['cpu']:.2f} | {row['cpu'] / floor_of(row)['cpu']:.2f} | "
            f"{row['cpu'] / same_class_floor(row)['cpu']:.2f} | {row['rps16']:.0f} |"
        )
    print("\n| server, arrivals | PRD load req/s | P50 ms | P95 ms | P99 ms | errors |")
    print("|---|---|---|---|---|---|")
    for name, result in prd.items():
        print(
            f"| {name} | {result['rps']:.0f} | {result['P50']:.0f} | {result['P95']:.0f} | "
            f"{result['P99']:.0f} | {result['errors']} of {result['count']} |"
        )
    print()
    for name in shapes:
        for mode in MODES:
            by_path = {
                row["path"]: row for row in rows if row["server"] == name and row["mode"] == mode
            }
            session, heroes = by_path["/api/auth/session"], by_path["/api/heroes"]
            print(
                f"{name}, {mode} connections: session CPU "
                f"{session['cpu'] / floor_of(session)['cpu']:.2f}x the sync floor's, "
                f"{session['cpu'] / same_class_floor(session)['cpu']:.2f}x the same class's "
                f"(target ≤ 1.5); heroes at {heroes['rps16'] / session['rps16']:.2f}x the "
                "session's req/s at 16 connections (target ≥ 0.85)"
            )


if __name__ == "__main__":
    sys.exit(main())
