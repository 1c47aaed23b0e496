"""`make fuzz`: schemathesis against the running service, every operation, every check.

1. A scratch PostgreSQL database (FUZZ_DB_NAME, dropped and created again) with the migrations
   applied, and a Redis database (FUZZ_REDIS_URL) emptied.
2. Seeded: the fuzz family (premium tier on a plan without limits that matter, a parent's consent
   to the current policy, a session) and spare families, one for each test case of an operation
   that ends its own session (scripts/fuzz_hooks.py).
3. The service as in production (DJANGO_DEBUG off, the Procfile's web, a Celery worker) on
   loopback, with the offline AI provider and rate limits high enough for the fuzzer to reach the
   success paths (the limiter still counts every request in Redis).
4. schemathesis, with the schema the server serves, all checks (scripts/fuzz.toml names the one
   exception), a fixed seed and a bounded number of examples; the exit status is schemathesis's
   (non-zero on any failure).

FUZZ_SEED, FUZZ_MAX_EXAMPLES, FUZZ_PORT, FUZZ_DB_NAME and FUZZ_REDIS_URL change the defaults;
arguments are passed on to `schemathesis run` (e.g. `--phases fuzzing` or `-v`).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from stack import environment, port, procfile, scratch_state, wait_until_up  # noqa: E402

DB_NAME = os.environ.get("FUZZ_DB_NAME", "infinitestories_fuzz")
REDIS_URL = os.environ.get("FUZZ_REDIS_URL", "redis://127.0.0.1:6379/2")
SEED = os.environ.get("FUZZ_SEED", "20261202")
MAX_EXAMPLES = os.environ.get("FUZZ_MAX_EXAMPLES", "15")
SPARE_FAMILIES = 60

SEED_CODE = """
import django, json, sys; django.setup()
from decimal import Decimal
from django.conf import settings
from django.contrib.auth.hashers import make_password
from accounts import services
from accounts.models import User
from usage.models import AccountStanding, Plan

unlimited = Plan.objects.create(
    code="fuzz", name="Fuzzing", stories_per_month=1_000_000, pictures_per_story=5,
    daily_cost_ceiling=Decimal(100_000), monthly_cost_ceiling=Decimal(100_000),
    illustrations=True, premium_voices=True, high_priority=True,
)
password = make_password("FuzzPass123")
users = User.objects.bulk_create(
    [User(email="fuzz@example.com", password=password, name="Fuzz", subscription_tier="premium")]
    + [User(email=f"spare{n}@example.com", password=password) for n in range(int(sys.argv[1]))]
)
AccountStanding.objects.create(user=users[0], plan=unlimited)
tokens = []
for user in users:
    services.consent_to_current_policy(user=user, ip_address="127.0.0.1", user_agent="fuzz")
    tokens.append(services.session_create(user=user, ip_address="127.0.0.1", user_agent="fuzz")[1])
print(json.dumps({"token": tokens[0], "spares": tokens[1:],
                  "policyVersion": settings.PARENTAL_CONSENT_POLICY_VERSION}))
"""

# Far above what a fuzzing run sends; every request is still counted in Redis.
RATE_LIMITS = ",".join(
    f"{name}=1000000/m"
    for name in (
        "signup_account",
        "signup",
        "signup_56",
        "signup_48",
        "login_account",
        "login",
        "apple_notifications",
        "email_send",
        "email_send_account",
        "api",
        "hero_create",
        "hero_update",
        "delete",
        "story_update",
        "story_generation",
        "audio_generation",
        "illustration_generation",
        "avatar_generation",
        "status_poll",
        "upload",
        "illustration_delete",
        "custom_event_create",
        "custom_event_update",
        "profile_update",
        "export",
        "share_create",
        "library_import",
        "device_register",
        "health",
    )
)


def celery_worker(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "infinitestories",
            "--quiet",
            "worker",
            "-Q",
            "high,normal,low",
            "--pool",
            "threads",
            "--concurrency",
            "2",
            "--loglevel",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )


def served_schema(base: str, token: str, path: Path) -> str:
    """The schema as the server serves it (it needs a session), in a file for schemathesis."""
    request = urllib.request.Request(
        f"{base}/api/schema?format=json", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        path.write_bytes(answer.read())
    return str(path)


def schemathesis(*, base: str, schema: str, env: dict[str, str], args: list[str]) -> int:
    command = [
        str(ROOT / ".venv/bin/schemathesis"),
        # every check (no --checks), but for the one exception the file explains
        "--config-file",
        str(ROOT / "scripts/fuzz.toml"),
        "run",
        schema,
        "--url",
        base,
        "--seed",
        SEED,
        "--max-examples",
        MAX_EXAMPLES,
        # Nothing kept between runs: the same seed gives the same run.
        "--generation-database",
        "none",
        "--workers",
        "2",
        *args,
    ]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def fake_apple():
    """Sign in with Apple switched on against the tests' fake Apple (tests/fakes/apple_server.py)
    in this process: the fuzzed tokens meet the real verification, never Apple itself."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes import apple_server

    fake = apple_server.FakeApple().start()
    return fake, {
        "APPLE_BASE_URL": fake.base_url,
        "APPLE_CLIENT_IDS": apple_server.CLIENT_ID,
        "APPLE_TEAM_ID": apple_server.TEAM_ID,
        "APPLE_KEY_ID": apple_server.KEY_ID,
        "APPLE_PRIVATE_KEY": apple_server.pem(fake.client_key),
    }


def main(args: list[str]) -> int:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    web_port = int(os.environ.get("FUZZ_PORT") or port())
    base = f"http://127.0.0.1:{web_port}"
    apple, apple_env = fake_apple()
    env = environment(
        db_name=DB_NAME,
        redis_url=REDIS_URL,
        AI_PROVIDER="local",
        RATE_LIMITS=RATE_LIMITS,
        MEDIA_ROOT=str(work / "media"),
        LOG_LEVEL="ERROR",
        **apple_env,
    )
    seeded = json.loads(scratch_state(env=env, seed=SEED_CODE, args=(str(SPARE_FAMILIES),)))
    spares = work / "spare_tokens"
    spares.write_text("\n".join(seeded["spares"]) + "\n")
    server_log = work / "server.log"
    with server_log.open("w") as log:
        processes = [
            # the Procfile's web process (gthread), two processes of four threads
            procfile(
                "web",
                env={**env, "PORT": str(web_port), "WEB_CONCURRENCY": "2", "WEB_THREADS": "4"},
            ),
            celery_worker(env, log),
        ]
        try:
            wait_until_up(base, path="/api/health")
            print(f"fuzz: up on {base} after {time.monotonic() - started:.0f} s", flush=True)
            status = schemathesis(
                base=base,
                schema=served_schema(base, seeded["token"], work / "schema.json"),
                env={
                    **os.environ,
                    "PYTHONPATH": str(ROOT / "scripts"),
                    "SCHEMATHESIS_HOOKS": "fuzz_hooks",
                    "FUZZ_BASE_URL": base,
                    "FUZZ_TOKEN": seeded["token"],
                    "FUZZ_SPARE_TOKENS": str(spares),
                    "FUZZ_POLICY_VERSION": seeded["policyVersion"],
                },
                args=args,
            )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
            apple.stop()
    if status:
        # The server's own account of what went wrong (a 500's traceback), beside the report.
        lines = server_log.read_text().splitlines()
        lines += Path(processes[0].log_path).read_text().splitlines()
        errors = [line for line in lines if "Traceback" in line]
        print("\n".join(["fuzz: server errors:", *errors[-50:]]) if errors else "")
    print(
        f"fuzz: {time.monotonic() - started:.0f} s in all (server log {server_log}), exit {status}"
    )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
