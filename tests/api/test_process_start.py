"""A web process loads what its first request needs when it starts (gunicorn imports the WSGI
module before taking requests): the first family to call after a deploy does not wait about a
second for imports and client set-up (bench/generation_latency.py measures it)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import infinitestories.wsgi
from infinitestories.ai import chain
print(json.dumps({
    "providers_built": chain._provider.cache_info().currsize,
    "views_loaded": all(m in sys.modules for m in ("stories.api", "heroes.api", "accounts.api")),
    "sdk_loaded": "openai" in sys.modules,
}))
"""


def test_a_new_web_process_is_ready_before_its_first_request():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings_test",
        "AI_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-test",
    }

    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    ready = json.loads(result.stdout.splitlines()[-1])
    assert ready == {"providers_built": 1, "views_loaded": True, "sdk_loaded": True}
