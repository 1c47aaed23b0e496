"""Sentry is off unless SENTRY_DSN is set; with it, a crash reaches Sentry tagged with the
request id the answer carried, and without personal data. A real sentry-sdk talks HTTP to a
small stand-in for Sentry's ingest endpoint on loopback."""

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CRASH = """
import django, json
django.setup()
import sentry_sdk
from django.test import Client, override_settings
with override_settings(ROOT_URLCONF="tests.infinitestories.api.urls"):
    # a body on a read, so no write path needs the database: Sentry reads bodies of any method
    answer = Client().generic(
        "GET",
        "/api/test/explode-public",
        json.dumps({"name": "Ottilie", "appearance": "curly hair"}),
        content_type="application/json",
        HTTP_COOKIE="sessionid=private",
    )
sentry_sdk.flush(timeout=10)
client = sentry_sdk.get_client()
print(json.dumps({
    "status": answer.status_code,
    "request_id": answer["X-Request-ID"],
    "active": client.is_active(),
    "integrations": sorted(client.integrations),
}))
"""


@pytest.fixture
def sentry_ingest():
    """A stand-in for Sentry's ingest endpoint: keeps the events posted to it."""
    events: list[dict] = []

    class Ingest(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "br":
                import brotli

                body = brotli.decompress(body)
            for line in body.splitlines():
                item = json.loads(line)
                if "exception" in item or "logentry" in item:
                    events.append(item)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], events
    server.shutdown()


def crash_in_a_subprocess(**env) -> dict:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SENTRY_DSN", "DATABASE_URL", "REDIS_URL")
    }
    environment |= {"DJANGO_SETTINGS_MODULE": "infinitestories.settings_test", **env}
    result = subprocess.run(
        [sys.executable, "-c", CRASH],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


def test_sentry_is_off_without_a_dsn(sentry_ingest):
    _, events = sentry_ingest

    outcome = crash_in_a_subprocess()

    assert outcome["status"] == 500
    assert outcome["active"] is False
    assert events == []


def test_a_crash_reaches_sentry_tagged_with_its_request_id(sentry_ingest):
    port, events = sentry_ingest

    outcome = crash_in_a_subprocess(SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1")

    assert outcome["status"] == 500 and outcome["active"] is True
    assert {"django", "celery", "logging"} <= set(outcome["integrations"])
    (event,) = events
    assert event["tags"]["request_id"] == outcome["request_id"]
    assert event["exception"]["values"][-1]["value"] == "secret internal detail (7)"
    assert event["environment"] == "production"
    # no personal data: no cookies, no client address, no body, no frame's local variables, no
    # row quoted by a database error
    assert "sessionid" not in json.dumps(event)
    assert "Ottilie" not in json.dumps(event)
    assert "curly hair" not in json.dumps(event)
    assert "ip_address" not in json.dumps(event.get("user", {}))
