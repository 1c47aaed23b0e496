"""Real-worker fixtures: a Celery worker subprocess on Redis, the test's PostgreSQL database,
moto's S3 server and the fake OpenAI and ElevenLabs servers. Needs DATABASE_URL (PostgreSQL) and REDIS_URL; CI
sets both. Without them, deselect these tests with `-m "not e2e"` (they never skip)."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings as django_settings
from django.db import connection

from accounts import services as account_services
from bench.stack import procfile_command
from infinitestories.celery import app as celery_app
from tests.conftest import S3_BUCKET
from tests.fakes.fixtures import (  # noqa: F401
    elevenlabs_provider,
    fake_elevenlabs,
    fake_openai,
    fake_polly,
    openai_provider,
    openai_speech_alive,
    polly_provider,
)
from tests.helpers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, env: dict, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "infinitestories",
                "worker",
                "-Q",
                "high,normal,low",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            # its own process group, so a kill reaches the pool's children too
            start_new_session=True,
        )
        wait_for(self._ready, timeout=30, message="the Celery worker to start")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{self.log.read_text()[-3000:]}")
        return b"ready." in self.log.read_bytes()

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: nothing gets to clean up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _shutdowns_on_test_day() -> dict:
    """The workers' vendor shutdown days: this process's (a test may move them, see
    openai_speech_alive). With TEST_TODAY (infinitestories/settings_test.py moves this process's
    clock) the workers keep the real clock, so their shutdown days move back by as much."""
    shift = getattr(django_settings, "TEST_CLOCK_SHIFT", None) or timedelta(0)
    return {
        "AI_OPENAI_TTS_SHUTDOWN": (django_settings.AI_OPENAI_TTS_SHUTDOWN - shift).isoformat(),
        "AI_OPENAI_TRANSCRIPTION_SHUTDOWN": (
            django_settings.AI_OPENAI_TRANSCRIPTION_SHUTDOWN - shift
        ).isoformat(),
    }


@pytest.fixture
def e2e(transactional_db, openai_provider, s3_storage, settings, tmp_path, _moto_server):  # noqa: F811
    """Everything a real worker needs; yields a factory that starts workers (stopped at the end)."""
    db_engine = django_settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in db_engine or not django_settings.REDIS_URL:
        raise AssertionError(
            "e2e tests need DATABASE_URL=postgres://... and REDIS_URL; deselect with -m 'not e2e'"
        )
    import importlib

    import redis
    from django.apps import apps

    # transactional_db empties every table between tests, the seeded price lists too
    importlib.import_module("usage.migrations.0002_seed_prices").seed(apps, None)
    importlib.import_module("usage.migrations.0005_seed_speech_prices").seed(apps, None)
    importlib.import_module("usage.migrations.0014_seed_price_sources_and_model_shutdowns").seed(
        apps, None
    )

    # The run's own queues (REDIS_KEY_PREFIX, which the workers inherit): never another's.
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    queues = [
        f"{django_settings.REDIS_KEY_PREFIX}:{name}"
        for name in ("high", "normal", "low", "unacked", "unacked_index")
    ]
    broker.delete(*queues)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings",
        "DJANGO_SECRET_KEY": "e2e-test-secret-key",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "AI_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": openai_provider.base_url,
        "AI_MAX_RETRIES": "0",
        "AI_REQUEST_TIMEOUT": "20",
        "AI_JOB_HEARTBEAT": "1",
        "R2_BUCKET_NAME": S3_BUCKET,
        "R2_ENDPOINT": _moto_server,
        "R2_ACCESS_KEY_ID": "testing",
        "R2_SECRET_ACCESS_KEY": "testing",
        "R2_REGION": "us-east-1",
        "R2_PUBLIC_URL": "",
        "MEDIA_ROOT": str(tmp_path / "worker-media"),
        "PYTHONUNBUFFERED": "1",
        # Amazon Polly, which narrates by default from 2027-01-06, answers from a fake
        "POLLY_ENDPOINT_URL": openai_provider.polly.base_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    env.pop("RATE_LIMITS", None)
    workers: list[Worker] = []

    def start_worker(**overrides: str) -> Worker:
        """A worker on the environment above; `overrides` adds or changes variables."""
        worker = Worker(
            {**env, **_shutdowns_on_test_day(), **overrides}, tmp_path / f"worker{len(workers)}.log"
        )
        workers.append(worker)
        return worker

    start_worker.env = env
    yield start_worker
    for worker in workers:
        worker.stop()
    celery_app.conf.task_always_eager = eager
    broker.delete(*queues)


class Web:
    """The Procfile's web process (granian, threads), on loopback, answering as it does
    behind the production proxy (HTTPS forwarded, Host `localhost`)."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        self.port = free_port()
        command = procfile_command("web")  # without collectstatic: the API serves no static file
        self.process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=ROOT,
            env={
                **env,
                "PORT": str(self.port),
                "PATH": f"{Path(sys.executable).parent}:{env['PATH']}",
            },
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._ready, timeout=60, message="the web to answer")

    def client(self, user) -> httpx.Client:
        """An HTTP client signed in as `user` with a real bearer session."""
        _, token = account_services.session_create(
            user=user, ip_address="127.0.0.1", user_agent="e2e"
        )
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={
                "Authorization": f"Bearer {token}",
                "Host": "localhost",
                "X-Forwarded-Proto": "https",
            },
            timeout=60,
        )

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the web exited early:\n{self.log.read_text()[-3000:]}")
        try:
            answer = httpx.get(
                f"http://127.0.0.1:{self.port}/api/health/ready",
                headers={"Host": "localhost", "X-Forwarded-Proto": "https"},
                timeout=5,
            )
        except httpx.HTTPError:
            return False
        return answer.status_code == 200

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def web(e2e, tmp_path):
    """The deployed web process beside the e2e fixture's workers, on their environment:
    `web.client(user)` talks to it over HTTP."""
    server = Web(e2e.env, tmp_path / "web.log")
    yield server
    server.stop()


def bucket_keys(s3, prefix: str = "") -> list[str]:
    return [
        o["Key"] for o in s3.list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix).get("Contents", [])
    ]
