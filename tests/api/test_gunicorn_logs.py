"""In production gunicorn's own lines (boot, workers) are JSON like the app's, so the log
pipeline reads one format (gunicorn.conf.py)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorn_writes_json_lines(tmp_path):
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "infinitestories.settings_test"}
    env.pop("LOG_FORMAT", None)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "infinitestories.wsgi",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: b"Booting worker" in log.read_bytes(), timeout=60, message="a worker")
    finally:
        os.kill(server.pid, signal.SIGINT)  # gunicorn's quick shutdown
        server.wait(timeout=30)

    lines = [line for line in log.read_text().splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(e["event"].startswith("Booting worker") for e in events)
    assert {e["logger"] for e in events} >= {"gunicorn.error"}
