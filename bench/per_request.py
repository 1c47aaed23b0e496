"""What a request costs beside the framework's floor, and the worker shape, in one run.

Side by side on this machine, same PostgreSQL and Redis, every server up at once:
- the floor (bench/floor/: a minimal Django + DRF project, DRF token auth, one small JSON
  object) on 2 sync gunicorn workers, on gunicorn's gthread workers (2 x 16) and on the
  Procfile's server (granian, 2 x 16 threads);
- our web as the Procfile runs it (granian, LOG_LEVEL at its deployed default, INFO: one
  access line per request), the same without kept answers (ANSWER_CACHE_BYTES=0), on gunicorn's
  gthread workers (the Procfile before granian) and on 2 sync gunicorn workers;
each measured on GET /api/auth/session, /api/heroes and /api/stories at 1 connection (median
and p90 latency, server CPU per request) and at 16 connections (req/s), both with a new
connection per request and with connections kept alive (a sync worker closes every connection
after its answer; the client then opens another), then the PRD's load scenario (bench/load.py's
families: 100 a second of list/detail/listen traffic) on each shape of our web, with
P50/P95/P99 and errors, its requests arriving open loop and, for comparison, in the bursts the
earlier harness made. The load generator shares the cores: compare ratios.

The 1-connection figures are taken in rounds: each round gives every server and endpoint a
block of BENCH_BLOCK requests in turn, so a slower minute of this shared virtual machine (its
neighbours take CPU: "steal") falls on all of them alike. A server's CPU is the sum of its
threads' scheduler run time (/proc/*/task/*/schedstat, in nanoseconds); each ratio to the floor
is taken within a round, and the table gives its median and quartiles over the rounds.

The 16-connection figures turn the same way within each server: BENCH_ROUNDS_16 turns of its
endpoints, BENCH_SECONDS in all for each; each endpoint's median rate, and the hero list's rate
over the session's within a turn.

Run: `.venv/bin/python bench/per_request.py` (`make bench`); BENCH_ROUNDS and BENCH_BLOCK (1
connection), BENCH_ROUNDS_16 and BENCH_SECONDS (16 connections), BENCH_PRD_SECONDS, BENCH_USERS
and BENCH_ARRIVALS ("open,burst") change the defaults; BENCH_BASELINE=<another checkout>
measures its web too (before/after, same database).
"""

import glob
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import stack

ROOT = stack.ROOT
FLOOR = Path(__file__).resolve().parent / "floor"
DB_NAME, REDIS_URL = stack.database_and_redis(db_name="infinitestories_bench_cost", redis_db=12)
FLOOR_DB = os.environ.get("BENCH_FLOOR_DB_NAME", "infinitestories_bench_floor")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "12"))
BLOCK = int(os.environ.get("BENCH_BLOCK", "100"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS_16 = int(os.environ.get("BENCH_ROUNDS_16", "5"))
PRD_SECONDS = int(os.environ.get("BENCH_PRD_SECONDS", "30"))
USERS = int(os.environ.get("BENCH_USERS", "100"))
OURS = ["/api/auth/session", "/api/heroes", "/api/stories"]
# The PRD load's arrivals: open loop (the scenario), and the bursts the earlier harness made.
ARRIVALS = os.environ.get("BENCH_ARRIVALS", "open,burst").split(",")


def server_cpu(process: subprocess.Popen) -> float:
    """CPU seconds used so far by a server's threads, its workers' included: their scheduler run
    time, in nanoseconds (psutil's cpu_times count 10 ms ticks)."""
    root = psutil.Process(process.pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        for path in glob.glob(f"/proc/{proc.pid}/task/*/schedstat"):
            try:
                with open(path) as stat:
                    total += int(stat.read().split()[0])
            except (OSError, ValueError):
                pass  # a thread or worker that ended meanwhile
    return total / 1e9


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


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    paths: list[str]
    auth: str
    worker_class: str  # "sync", "gthread" or "granian": which floor is the same class
    ours: bool = True
    blocks: dict = field(default_factory=dict)  # (path, mode) -> [(CPU ms/req, [latencies])]
    rates: dict = field(default_factory=dict)  # (path, mode) -> [req/s at 16 connections]


def one_connection_rounds(servers: list[Server], keep: bool, mode: str) -> None:
    """ROUNDS rounds; in each, every server and path answers BLOCK requests in turn on one
    connection (kept alive, or new for each request)."""
    connections = {
        (server.name, path): connection_for(server.port, keep)
        for server in servers
        for path in server.paths
    }
    for server in servers:  # warm: the first requests of a process or connection cost more
        for path in server.paths:
            for _ in range(30):
                get(server.port, path, server.auth, connections[server.name, path])
    for _ in range(ROUNDS):
        for server in servers:
            for path in server.paths:
                kept = connections[server.name, path]
                cpu = server_cpu(server.process)
                latencies = [get(server.port, path, server.auth, kept) for _ in range(BLOCK)]
                cpu = (server_cpu(server.process) - cpu) / BLOCK * 1000
                server.blocks.setdefault((path, mode), []).append((cpu, latencies))
    for kept in connections.values():
        if kept:
            kept.close()


def sixteen_connections(port: int, path: str, auth: str, keep: bool, seconds: float) -> float:
    """req/s of 16 clients asking as fast as they are answered for `seconds`."""
    done = [0] * 16
    deadline = time.perf_counter() + seconds

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


def sixteen_connection_rounds(server: Server) -> None:
    """BENCH_SECONDS for each path and mode, in ROUNDS_16 turns of the server's paths (so each
    endpoint's rate and their ratio are taken in the same minutes)."""
    for mode, keep in MODES.items():
        for _ in range(ROUNDS_16):
            for path in server.paths:
                rate = sixteen_connections(
                    server.port, path, server.auth, keep, SECONDS / ROUNDS_16
                )
                server.rates.setdefault((path, mode), []).append(rate)
        for path in server.paths:
            rate = statistics.median(server.rates[path, mode])
            print(f"  {server.name:32} {path:20} {mode:4} 16 conn {rate:6.0f} req/s", flush=True)


def fresh_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


SYNC_FLOOR = "floor (DRF token, 2 sync)"
# The floor on each server class our web is measured on: what the class itself costs.
FLOORS = {
    "sync": SYNC_FLOOR,
    "gthread": "floor (DRF token, gthread 2 x 16)",
    "granian": "floor (DRF token, granian 2 x 16)",
}
# Our web on gunicorn, to compare: the Procfile's server before granian, and sync workers.
GUNICORN = "gunicorn infinitestories.wsgi --bind 127.0.0.1:${PORT} --workers 2 --no-control-socket"
MODES = {"new": False, "kept": True}  # a new connection per request; one kept-alive connection


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


def floor_server(klass: str, env: dict, token: str) -> Server:
    """The floor on 2 processes of `klass`: gunicorn's sync or gthread (16 threads, idle
    connections kept 75 s) workers, or granian with 16 threads as infinitestories/web.py runs it."""
    port = stack.port()
    if klass == "granian":
        command = [str(stack.BIN / "granian"), "--interface", "wsgi", "floor_wsgi:application"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--http", "1", "--no-ws"]
        command += ["--workers", "2", "--blocking-threads", "16", "--backpressure", "1000"]
        command += ["--http1-header-read-timeout", "60000", "--log-level", "warning"]
    else:
        command = [str(stack.BIN / "gunicorn"), "floor_wsgi", "--workers", "2"]
        command += ["--worker-class", klass, f"--bind=127.0.0.1:{port}", "--log-level=warning"]
        command += ["--no-control-socket"]
        if klass == "gthread":
            command += ["--threads", "16", "--keep-alive", "75"]
    process = subprocess.Popen(command, cwd=FLOOR, env=env)
    return Server(FLOORS[klass], process, port, ["/floor/session"], f"Token {token}", klass, False)


def wait_until_answers(server: Server) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            get(server.port, server.paths[0], server.auth)
            return
        except (OSError, SystemExit):
            if server.process.poll() is not None or time.monotonic() > deadline:
                log = getattr(server.process, "log_path", "its output")
                raise SystemExit(f"{server.name} did not answer; see {log}") from None
            time.sleep(0.5)


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
    return q1, median, q3


def main() -> None:
    import load

    print(f"load average {stack.load_average()} at the start; {os.cpu_count()} cores", flush=True)
    servers: list[Server] = []
    prd: dict[str, dict] = {}
    try:
        # The floor, on sync workers and on the Procfile's worker class and size (what the class
        # itself costs).
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
        servers.extend(floor_server(klass, floor_env, token) for klass in FLOORS)

        # Ours: the PRD's families (bench/load.py), the first one's token for the single requests;
        # logging at its deployed level (the environment's WARNING is for the other benchmarks).
        env = stack.environment(db_name=DB_NAME, redis_url=REDIS_URL, LOG_LEVEL="INFO")
        families = json.loads(stack.scratch_state(env=env, seed=load.SEED, args=(str(USERS),)))
        load.FAMILIES.extend(families)
        auth = f"Bearer {families[0]['token']}"
        procfile = stack.procfile_command("web")
        # name: (command, extra environment, server class, working directory)
        shapes = {
            "ours, Procfile": (procfile, {}, "granian", ROOT),
            # Every answer rendered anew: what a list costs when it is not the one kept by its ETag.
            "ours, Procfile, no kept answers": (
                procfile,
                {"ANSWER_CACHE_BYTES": "0"},
                "granian",
                ROOT,
            ),
            "ours, gunicorn gthread 2 x 16": (
                f"{GUNICORN} --worker-class gthread --threads 16 --keep-alive 75",
                {},
                "gthread",
                ROOT,
            ),
            "ours, 2 sync workers": (f"{GUNICORN} --worker-class sync", {}, "sync", ROOT),
        }
        baseline = os.environ.get("BENCH_BASELINE")
        if baseline:  # another checkout (e.g. main's), on the same database, for before/after
            baseline = Path(baseline).resolve()
            before = stack.procfile_command("web", root=baseline)
            klass = "granian" if "infinitestories.web" in before else "gthread"
            # Its own code first on the path (the venv's editable install is this checkout's).
            extra = {"PYTHONPATH": str(baseline)}
            shapes = {
                f"before ({baseline.name}), Procfile": (before, extra, klass, baseline),
                **shapes,
            }
        for name, (command, extra, klass, cwd) in shapes.items():
            port = stack.port()
            web_env = {**env, "PORT": str(port), **extra}
            web = stack.procfile("web", env=web_env, command=command, cwd=cwd)
            servers.append(Server(name, web, port, OURS, auth, klass))
        for server in servers:
            wait_until_answers(server)

        for mode, keep in MODES.items():
            one_connection_rounds(servers, keep, mode)
        for server in servers:
            sixteen_connection_rounds(server)
            if server.ours:
                for arrivals in ARRIVALS:
                    result = prd[f"{server.name}, {arrivals}"] = prd_load(server.port, arrivals)
                    print(
                        f"  {server.name:32} PRD load ({arrivals}) {result['rps']:.0f} req/s: "
                        f"P50 {result['P50']:.0f} ms, P95 {result['P95']:.0f} ms, "
                        f"P99 {result['P99']:.0f} ms, {result['errors']} errors of "
                        f"{result['count']}",
                        flush=True,
                    )
            # Its threads' database connections go with it: every server's 16 threads at once
            # would take more than PostgreSQL's 100.
            stack.stop([server.process])
    finally:
        stack.stop([server.process for server in servers])

    floors = {server.name: server for server in servers if not server.ours}

    def ratios(server: Server, path: str, mode: str, floor_name: str) -> list[float]:
        """CPU per request over the floor's, round by round."""
        floor = floors[floor_name].blocks["/floor/session", mode]
        return [
            cpu / floor_cpu
            for (cpu, _), (floor_cpu, _) in zip(server.blocks[path, mode], floor, strict=True)
        ]

    print(f"\nload average {stack.load_average()} at the end; {ROUNDS} rounds of {BLOCK}\n")
    print(
        "| server | endpoint | connection | median ms | p90 ms | CPU ms/req | x sync floor CPU "
        "(quartiles) | x same-class floor CPU (quartiles) | 16 conn req/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for mode in MODES:
        for server in servers:
            for path in server.paths:
                blocks = server.blocks[path, mode]
                latencies = [ms for _, block in blocks for ms in block]
                cpu = statistics.median(cpu for cpu, _ in blocks)
                by_floor = [
                    "{1:.2f} ({0:.2f}-{2:.2f})".format(*quartiles(ratios(server, path, mode, f)))
                    for f in (SYNC_FLOOR, FLOORS[server.worker_class])
                ]
                print(
                    f"| {server.name} | `{path}` | {mode} | {statistics.median(latencies):.1f} | "
                    f"{statistics.quantiles(latencies, n=10)[8]:.1f} | {cpu:.2f} | {by_floor[0]} | "
                    f"{by_floor[1]} | {statistics.median(server.rates[path, mode]):.0f} |"
                )
    print("\n| server, arrivals | PRD load req/s | P50 ms | P95 ms | P99 ms | errors |")
    print("|---|---|---|---|---|---|")
    for name, result in prd.items():
        print(
            f"| {name} | {result['rps']:.0f} | {result['P50']:.0f} | {result['P95']:.0f} | "
            f"{result['P99']:.0f} | {result['errors']} of {result['count']} |"
        )
    print()
    for server in servers:
        if not server.ours:
            continue
        for mode in MODES:
            session = "/api/auth/session"
            by_sync = statistics.median(ratios(server, session, mode, SYNC_FLOOR))
            by_class = statistics.median(ratios(server, session, mode, FLOORS[server.worker_class]))
            # Each round's hero-list rate over the session's of the same round.
            heroes = [
                h / s
                for h, s in zip(
                    server.rates["/api/heroes", mode],
                    server.rates[session, mode],
                    strict=True,
                )
            ]
            print(
                f"{server.name}, {mode} connections: session CPU {by_sync:.2f}x the sync floor's, "
                f"{by_class:.2f}x the same class's (median of {ROUNDS} rounds; target ≤ 1.5); "
                "heroes at {1:.2f}x ({0:.2f}-{2:.2f}) the session's req/s at 16 connections "
                "(median of {3} rounds; target ≥ 0.85)".format(*quartiles(heroes), ROUNDS_16)
            )


if __name__ == "__main__":
    sys.exit(main())
