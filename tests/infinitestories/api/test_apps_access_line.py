"""One log line per request, the finished one, with what the started one said."""

import io
import json
import logging

import pytest
from django.conf import settings


@pytest.fixture
def log_lines():
    config = dict(settings.LOGGING["formatters"]["structured"])
    formatter = config.pop("()")(**config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    root.removeHandler(handler)


def test_a_request_writes_one_line_with_its_user_agent(auth_client, user, log_lines):
    auth_client.get("/api/heroes", HTTP_USER_AGENT="InfiniteStories/2.1 iOS")

    lines = [row for row in log_lines() if row.get("logger", "").startswith("django_structlog")]

    assert [row["event"] for row in lines] == ["request_finished"]
    assert lines[0]["user_agent"] == "InfiniteStories/2.1 iOS"
    assert lines[0]["request"] == "GET /api/heroes"
    assert lines[0]["user_id"] == user.pk
