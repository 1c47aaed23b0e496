"""What an operator sees of real Celery workers: /api/health knows whether one answers, and a
worker's log lines carry the id of the request that started the task, the task id and the job id
(everything one POST caused is found with one search)."""

import json

import pytest

from stories.models import GenerationJob
from tests.helpers import wait_for
from tests.heroes.factories import HeroFactory

pytestmark = pytest.mark.e2e


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_worker_lines_carry_the_request_task_and_job_ids(e2e, auth_client, user):
    worker = e2e()
    hero = HeroFactory(user=user)

    answer = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime"},
        format="json",
        HTTP_X_REQUEST_ID="ios-4f1c9a",
    )

    assert answer.status_code == 201
    job = GenerationJob.objects.get(story_id=answer.json()["story"]["id"])

    def job_lines():
        lines = [row for row in _json_lines(worker.log.read_text()) if row.get("job_id") == job.pk]
        return lines if any(row["event"] == "task_succeeded" for row in lines) else None

    lines = wait_for(job_lines, timeout=60, message="the worker to log the finished job")
    events = [row["event"] for row in lines]
    assert events[0] == "task_started"
    assert f"Job {job.pk} (audio) completed on attempt 1" in events
    assert "task_succeeded" in events
    assert {row["request_id"] for row in lines} == {"ios-4f1c9a"}
    assert {row["user_id"] for row in lines} == {user.pk}
    assert len({row["task_id"] for row in lines}) == 1
    # each pool process (two) built its AI clients before the task, not during it
    everything = _json_lines(worker.log.read_text())
    ready = [
        i
        for i, row in enumerate(everything)
        if row["event"].startswith("AI providers ready: openai")
    ]
    started = next(i for i, row in enumerate(everything) if row["event"] == "task_started")
    assert len(ready) == 3  # the main process (imports shared by the pool), then each child
    assert max(ready) < started


def test_health_sees_a_worker_answer_and_then_stop_answering(e2e, client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker = e2e()

    # A worker that just started on a busy machine may take seconds to answer its first ping:
    # the test is about whether one answers, so it waits longer for the answer that should come.
    settings.HEALTH_CELERY_TIMEOUT = 15
    settings.HEALTH_DEEP_MAX_AGE = 0  # no beat here: each call runs the worker ping again
    up = client.get("/api/health")
    worker.stop()
    settings.HEALTH_CELERY_TIMEOUT = 1
    down = client.get("/api/health")

    assert up.status_code == 200, up.json()
    assert up.json()["checks"]["celery"] == "ok"
    assert down.status_code == 503
    assert down.json()["error"] == "Unavailable: celery"
