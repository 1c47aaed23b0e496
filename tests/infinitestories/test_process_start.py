"""A new process loads what its first request or job needs when it starts (the web server imports
the WSGI module before taking requests; a Celery worker warms up before it forks its pool): the
first family served after a deploy does not wait for imports and client set-up
(bench/generation_latency.py measures it)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The SDK modules of the APIs the app calls, which the SDK imports on first use otherwise.
SDK_APIS = (
    "openai.resources.chat",
    "openai.resources.moderations",
    "openai.resources.images",
    "openai.resources.audio.speech",
    "openai.resources.audio.transcriptions",
)

WEB_PROBE = """
import json, sys
import infinitestories.wsgi
from infinitestories.ai import chain
print(json.dumps({
    "providers_built": chain._provider.cache_info().currsize,
    "views_loaded": all(m in sys.modules for m in ("stories.api", "heroes.api", "accounts.api")),
    "sdk_apis_loaded": [m for m in sys.argv[1:] if m in sys.modules],
}))
"""

WORKER_PROBE = """
import json, sys
import django; django.setup()
from celery.signals import worker_init
import infinitestories.celery
from infinitestories.ai import chain
worker_init.send(sender=None)
print(json.dumps({
    "providers_built": chain._provider.cache_info().currsize,
    "sdk_apis_loaded": [m for m in sys.argv[1:] if m in sys.modules],
}))
"""


def run_new_process(probe: str, tmp_path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings_test",
        # A database of the test's own: without the servers, the default would be the
        # developer's db.sqlite3.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "AI_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-test",
        # one narrator on any day the suite runs on (TEST_TODAY): the default chain adds Polly
        # from 2027-01-06
        "AI_TTS_PROVIDER_CHAIN": "openai",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe, *SDK_APIS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


def test_a_new_web_process_is_ready_before_its_first_request(tmp_path):
    ready = run_new_process(WEB_PROBE, tmp_path)

    assert ready == {"providers_built": 1, "views_loaded": True, "sdk_apis_loaded": list(SDK_APIS)}


def test_a_new_worker_is_ready_before_its_first_job(tmp_path):
    ready = run_new_process(WORKER_PROBE, tmp_path)

    assert ready == {"providers_built": 1, "sdk_apis_loaded": list(SDK_APIS)}
