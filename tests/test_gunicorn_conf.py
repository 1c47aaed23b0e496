"""In production gunicorn's own lines (boot, workers) are JSON like the app's, so the log
pipeline reads one format (gunicorn.conf.py)."""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parents[1]


def answers(port: int) -> bool:
    """Whether a worker answered a request (any status: the worker is up)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()
    except OSError:
        return False
    finally:
        connection.close()
    return True


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
        # Stopped while it still imports the app, a worker prints Python's own complaint: wait
        # until it answers a request.
        port = wait_for(
            lambda: re.search(rb"Listening at: http://127.0.0.1:(\d+)", log.read_bytes()),
            timeout=60,
            message="gunicorn to listen",
        ).group(1)
        wait_for(lambda: answers(int(port)), timeout=60, message="a worker to answer")
    finally:
        os.kill(server.pid, signal.SIGINT)  # gunicorn's quick shutdown
        server.wait(timeout=30)

    lines = [line for line in log.read_text().splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(e["event"].startswith("Booting worker") for e in events)
    assert {e["logger"] for e in events} >= {"gunicorn.error"}
