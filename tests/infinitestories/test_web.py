"""The Procfile's web process (infinitestories/web.py, granian): it serves the app, every line it
writes is one JSON object in production (its own start and stop lines too, so the log pipeline
reads one format), the app's `request_finished` line is the only line a request writes, and it
stops cleanly on the platform's SIGTERM."""

import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.helpers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def web_environment(tmp_path) -> dict:
    """The test settings, on a database of the test's own (the pages asked read none): without
    the servers, the default would be the developer's db.sqlite3."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
    }


@contextmanager
def running_web(env: dict, log: Path):
    """`python -m infinitestories.web` (1 process, 2 threads) answering on a free port, stopped
    with SIGTERM after the block; yields the port and the exit status when it is stopped."""
    port = free_port()
    command = [sys.executable, "-m", "infinitestories.web", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "--workers", "1", "--threads", "2"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    exit_status = []
    try:
        # Up once the app answers a page that reads no database (the OpenAPI schema; the tests
        # ask for its documentation page).
        wait_for(lambda: answer(port, "/api/schema"), timeout=60, message="the web to answer")
        yield port, exit_status
    finally:
        server.send_signal(signal.SIGTERM)
        exit_status.append(server.wait(timeout=30))


def answer(port: int, path: str) -> httpx.Response | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    except httpx.HTTPError:
        return None


def test_the_web_process_serves_the_app_and_writes_json_lines_only(tmp_path):
    log = tmp_path / "web.log"
    env = web_environment(tmp_path)
    env.pop("LOG_FORMAT", None)
    env.pop("DJANGO_DEBUG", None)
    with running_web(env, log) as (port, exit_status):
        response = httpx.get(f"http://127.0.0.1:{port}/api/docs", timeout=5)
        assert response.status_code == 200
        assert "swagger-ui" in response.text
    assert exit_status == [0]

    events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    granian = [event["event"] for event in events if event["logger"].startswith("_granian")]
    assert any(line.startswith("Listening at: http://127.0.0.1:") for line in granian)
    assert any(line.startswith("Granian shutdown completed") for line in granian)
    about_the_request = [event for event in events if "/api/docs" in json.dumps(event)]
    assert [(event["event"], event["status"]) for event in about_the_request] == [
        ("request_finished", 200)
    ]


def test_a_bind_without_a_port_is_refused_with_a_clear_error():
    result = subprocess.run(
        [sys.executable, "-m", "infinitestories.web", "--bind", "127.0.0.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "--bind takes HOST:PORT, not '127.0.0.1'" in result.stderr


def test_kept_alive_connections_beyond_the_threads_are_all_answered(tmp_path):
    """A proxy in front keeps a pool of connections open: more of them than the process has
    threads must not leave the rest waiting (granian's backpressure counts connections)."""
    with running_web(web_environment(tmp_path), tmp_path / "web.log") as (port, _):
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) for _ in range(6)]
        try:
            for _ in range(2):  # each client's second request rides its kept connection
                assert [client.get("/api/docs").status_code for client in clients] == [200] * 6
        finally:
            for client in clients:
                client.close()
