"""How every benchmark stands the real stack up on this machine, one way for all of them:

- `environment`: production settings (DJANGO_DEBUG off, so every boot check applies) on the
  machine's PostgreSQL and Redis, with an explicit AI_PROVIDER (the offline one, or the fake
  OpenAI server through `fake_openai`) and rate limits raised so none refuses the load (each
  request is still counted in Redis);
- `scratch_state`: a fresh database migrated and seeded, and an empty Redis database; seeds make
  their families with `bench_family` (see FAMILY), as the app's users are: a parent who consented
  to the current policy, on the premium plan, signed in;
- `procfile`: the Procfile's own web and worker commands, as production runs them;
- `wait_until_up`, `stop`, and `load_average` (the machine is shared: say how busy it was).

Each benchmark names its database and Redis database (BENCH_DB_NAME, BENCH_REDIS_URL override
them) and its port (BENCH_PORT, else a free one).
"""

import os
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv/bin"
PYTHON = str(BIN / "python")

# High enough that no limit refuses a benchmark's load; the counting itself still happens.
RATE_LIMITS = ",".join(
    f"{name}=100000000/m"
    for name in (
        "api",
        "status_poll",
        "story_generation",
        "audio_generation",
        "illustration_generation",
        "avatar_generation",
        "health",
    )
)


def database_and_redis(*, db_name: str, redis_db: int) -> tuple[str, str]:
    """The benchmark's own database name and Redis URL, unless BENCH_DB_NAME / BENCH_REDIS_URL."""
    return (
        os.environ.get("BENCH_DB_NAME", db_name),
        os.environ.get("BENCH_REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}"),
    )


def port() -> int:
    """BENCH_PORT, else a free loopback port."""
    if os.environ.get("BENCH_PORT"):
        return int(os.environ["BENCH_PORT"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(*, db_name: str, redis_url: str, **overrides: str) -> dict[str, str]:
    """Production settings on loopback with the offline AI provider; overrides win (the fake
    OpenAI server's settings, WEB_CONCURRENCY...)."""
    return {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-bench-only-secret-key-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "AI_PROVIDER": "local",
        "RATE_LIMITS": RATE_LIMITS,
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="bench-media-"),
        "LOG_LEVEL": "WARNING",
        **overrides,
    }


def fake_openai(*, latency: float = 0.0, **attributes):
    """The tests' fake OpenAI server (tests/fakes/openai_server.py), in this process, answering
    every call after `latency` seconds; `attributes` set its knobs (story_paragraphs...)."""
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.fakes.openai_server import FakeOpenAI

    fake = FakeOpenAI()
    for name, value in attributes.items():
        setattr(fake, name, value)
    fake.delay["/v1"] = latency
    return fake.start()


def openai_settings(fake) -> dict[str, str]:
    """The settings that send the app's AI calls to `fake`, without the SDK's retries."""
    return {
        "AI_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": fake.base_url,
        "AI_MAX_RETRIES": "0",
    }


# Prepended to every seed: Django set up, and bench_family(email) -> (user, token).
FAMILY = """
import json, sys
import django; django.setup()
from accounts.models import User
from accounts.services import consent_to_current_policy, session_create

def bench_family(email):
    user = User(email=email, subscription_tier=User.Tier.PREMIUM)
    user.set_unusable_password()
    user.save()
    consent_to_current_policy(
        user=user, app_version="bench", ip_address="127.0.0.1", user_agent="bench"
    )
    _, token = session_create(user=user, ip_address="127.0.0.1", user_agent="bench")
    return user, token
"""


def scratch_state(*, env: dict[str, str], seed: str, args: tuple = ()) -> str:
    """A fresh database (DATABASE_URL's), migrated and seeded by `seed` (Python run after
    FAMILY, with `args` in sys.argv), and REDIS_URL's database emptied. Returns the seed's output."""
    import psycopg
    import redis
    from psycopg import sql

    database = urllib.parse.urlparse(env["DATABASE_URL"])
    name = sql.Identifier(database.path.lstrip("/"))
    server = database._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seeded = subprocess.run(
        [PYTHON, "-c", FAMILY + seed, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    vacuum_analyze(env["DATABASE_URL"])
    return seeded


def vacuum_analyze(database_url: str) -> None:
    """Statistics and visibility as a live database has them (autovacuum's work): a database
    seeded a moment ago has neither, and its plans read every row's page."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def procfile_command(process: str, root: Path = ROOT) -> str:
    """The Procfile's command for `process` ("web", "worker"), as production runs it (`root`'s
    Procfile: another checkout's, to compare); the web's collectstatic step is left out and it
    listens on loopback only."""
    for line in (root / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name == process:
            command = command.strip()
            if process == "web":
                command = command.split("&&", 1)[1].strip().replace("0.0.0.0:", "127.0.0.1:")
            return command
    raise SystemExit(f"no {process} process in the Procfile")


def procfile(
    process: str, *, env: dict[str, str], command: str | None = None, cwd: Path = ROOT
) -> subprocess.Popen:
    """Start the Procfile's `process` (or `command` instead, to compare, in `cwd`); its output
    goes to a file named on failure, so the benchmark's own output stays readable."""
    command = command or procfile_command(process)
    log = tempfile.NamedTemporaryFile(prefix=f"bench-{process}-", suffix=".log", delete=False)  # noqa: SIM115
    started = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    started.log_path = log.name
    return started


def wait_until_up(
    base: str, *, path: str = "/api/health/ready", timeout: float = 90, processes=()
) -> None:
    """Until `path` answers 200 (/api/health/ready for the web alone; /api/health once a Celery
    worker answers too). Gives up when a process of `processes` exits or after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{base}{path}", timeout=5)
            return
        except OSError:
            ended = [p for p in processes if p.poll() is not None]
            if ended or time.monotonic() > deadline:
                logs = ", ".join(getattr(p, "log_path", "?") for p in (ended or processes))
                raise SystemExit(f"{base}{path} did not answer 200; see {logs}") from None
            time.sleep(0.5)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as uptime prints them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def stop(processes) -> None:
    """Ask each process to stop (the web and Celery finish what they are doing), then wait."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
