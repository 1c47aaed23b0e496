"""Operators follow one request through the logs: every answer names its request, and every log
line written while serving it (the access line, our own lines, a job run in-process) is one JSON
object carrying that name."""

import json
import re

import pytest

from infinitestories.observability import sentry_scrub, share_secret_redact
from stories.models import GenerationJob
from stories.services import shares
from tests.heroes.factories import HeroFactory
from tests.stories.factories import StoryFactory

HEX_ID = re.compile(r"[0-9a-f]{32}")


def test_every_answer_carries_a_request_id_of_its_own(client, auth_client):
    answers = [
        auth_client.get("/api/heroes"),
        client.get("/api/heroes"),  # 401
        auth_client.get("/api/no-such-thing"),  # 404
        auth_client.generic("POST", "/api/heroes", "{not json", content_type="application/json"),
    ]

    assert [a.status_code for a in answers] == [200, 401, 404, 400]
    ids = [a["X-Request-ID"] for a in answers]
    assert all(HEX_ID.fullmatch(rid) for rid in ids), ids
    assert len(set(ids)) == len(ids)


def test_a_sane_request_id_from_the_proxy_is_kept(auth_client):
    answer = auth_client.get("/api/heroes", HTTP_X_REQUEST_ID="lb-7f3a9c2e.42:alpha")

    assert answer["X-Request-ID"] == "lb-7f3a9c2e.42:alpha"


@pytest.mark.parametrize(
    "given",
    ["", "a" * 129, "has space", "line\nbreak", "-leading-dash", "ünïcode", '{"json":1}'],
)
def test_an_insane_request_id_is_replaced(auth_client, given):
    answer = auth_client.get("/api/heroes", HTTP_X_REQUEST_ID=given)

    assert HEX_ID.fullmatch(answer["X-Request-ID"])


def test_the_access_line_names_request_user_method_path_status_and_duration(
    auth_client, user, log_records
):
    answer = auth_client.get("/api/heroes?limit=5", HTTP_X_REQUEST_ID="req-123")

    (line,) = [row for row in log_records() if row["event"] == "request_finished"]
    assert line["request_id"] == "req-123"
    assert line["user_id"] == user.pk
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/heroes", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "info" and "timestamp" in line
    assert answer.status_code == 200


@pytest.mark.urls("tests.infinitestories.api.urls")
def test_a_crash_is_logged_with_its_request_id_and_traceback_and_answers_it(
    auth_client, log_records
):
    answer = auth_client.get("/api/test/explode")

    assert answer.status_code == 500
    rid = answer["X-Request-ID"]
    (crash,) = [row for row in log_records() if row["event"].startswith("Unhandled error")]
    assert crash["request_id"] == rid
    assert crash["level"] == "error"
    assert "RuntimeError: secret internal detail" in crash["exception"]
    assert "secret" not in answer.content.decode()


def test_a_job_run_in_process_logs_with_the_request_and_job_ids(
    transactional_db, auth_client, user, log_records
):
    """The embedded default runs tasks inside the request (after its commit, a real one here):
    their lines carry both ids."""
    hero = HeroFactory(user=user)

    answer = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert answer.status_code == 201
    job = GenerationJob.objects.get(story_id=answer.json()["story"]["id"])
    # (the job may say more, e.g. that pushes are off, the first time a process runs one)
    job_lines = [row for row in log_records() if row.get("job_id") == job.pk]
    assert {row["request_id"] for row in job_lines} == {answer["X-Request-ID"]}
    assert f"Job {job.pk} (audio) completed on attempt 1" in [row["event"] for row in job_lines]
    after = [row for row in log_records() if row["event"] == "request_finished"]
    assert "job_id" not in after[0]  # the job's id does not leak into the rest of the request


# --- A shared story's link opens the story: its secret reaches no log line and no error report

SHARE_SECRET = "k3J9-x_Qm2vT8wYzA1bC4dE5fG6hI7jK"


def test_the_access_lines_of_a_shared_page_name_the_link_without_its_secret(client, log_records):
    made = shares.share_create(story=StoryFactory())

    assert client.get(f"/s/{made.secret}").status_code == 200
    assert client.get(f"/s/{made.secret}/pictures/1").status_code == 404

    logged = json.dumps(log_records())
    assert "/s/[secret]" in logged and "/s/[secret]/pictures/1" in logged
    assert made.secret not in logged


def test_the_redaction_keeps_every_other_path_as_it_is():
    line = share_secret_redact(
        None, "info", {"request": f"GET /s/{SHARE_SECRET}/audio", "path": "/api/stories/s/x"}
    )

    assert line["request"] == "GET /s/[secret]/audio"
    assert line["path"] == "/api/stories/s/[secret]"  # any "/s/" segment errs on the safe side
    assert share_secret_redact(None, "info", {"path": "/api/heroes"})["path"] == "/api/heroes"


def test_an_error_report_from_a_shared_page_loses_the_secret():
    event = {
        "request": {"url": f"https://example.com/s/{SHARE_SECRET}", "query_string": ""},
        "transaction": f"/s/{SHARE_SECRET}",
    }

    scrubbed = sentry_scrub(event)

    assert scrubbed["request"]["url"] == "https://example.com/s/[secret]"
    assert scrubbed["transaction"] == "/s/[secret]"
