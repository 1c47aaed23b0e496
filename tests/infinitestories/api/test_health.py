"""Operators and load balancers read /api/health and /api/health/ready: each names what is down,
says when tasks run in-process rather than on workers, and shows how long jobs wait."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from stories.models import GenerationJob
from tests.helpers import assert_envelope
from tests.stories.factories import GenerationJobFactory

SERVING = {"database": "ok", "redis": "ok"} if django_settings.REDIS_URL else {"database": "ok"}


def test_health_on_the_embedded_default_says_tasks_run_in_process(client):
    response = client.get("/api/health")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {**SERVING, "storage": "ok", "celery": "eager"},
    }


def test_health_is_503_naming_the_storage_when_files_cannot_be_written(client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocker / "media"

    response = client.get("/api/health")

    body = assert_envelope(response, 503, "SERVICE_UNAVAILABLE")
    assert body["error"] == "Unavailable: storage"
    assert body["details"]["checks"]["storage"] == "unavailable"
    assert body["details"]["checks"]["database"] == "ok"


def test_health_checks_the_bucket_and_leaves_nothing_in_it(client, s3_storage):
    from tests.conftest import S3_BUCKET

    response = client.get("/api/health")

    assert response.status_code == 200
    assert response.json()["checks"]["storage"] == "ok"
    assert s3_storage.list_objects_v2(Bucket=S3_BUCKET).get("KeyCount") == 0


def test_health_is_503_naming_celery_when_no_worker_answers(client, settings):
    # tasks go to a broker now, and no worker listens on it
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.HEALTH_CELERY_TIMEOUT = 0.3

    response = client.get("/api/health")

    body = assert_envelope(response, 503, "SERVICE_UNAVAILABLE")
    assert body["error"] == "Unavailable: celery"
    assert body["details"]["checks"] == {**SERVING, "storage": "ok", "celery": "unavailable"}


def test_health_answers_with_a_request_id_over_plain_http_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    for path in ("/api/health", "/api/health/ready"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["X-Request-ID"]


def test_ready_reports_the_oldest_queued_jobs_age(client):
    now = timezone.now()
    old = GenerationJobFactory(status=GenerationJob.Status.QUEUED)
    GenerationJobFactory(status=GenerationJob.Status.QUEUED)
    GenerationJobFactory(status=GenerationJob.Status.PROCESSING)
    GenerationJob.objects.filter(pk=old.pk).update(created_at=now - timedelta(seconds=90))

    response = client.get("/api/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == SERVING
    assert body["queue"]["queued"] == 2
    assert 90 <= body["queue"]["oldestQueuedSeconds"] < 120


def test_ready_with_nothing_queued_says_so(client):
    GenerationJobFactory(status=GenerationJob.Status.COMPLETED)

    response = client.get("/api/health/ready")

    assert response.json()["queue"] == {"queued": 0, "oldestQueuedSeconds": None}


@pytest.mark.parametrize("path", ["/api/health", "/api/health/ready"])
def test_health_is_503_naming_redis_when_it_is_down(client, settings, path):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get(path)

    body = assert_envelope(response, 503, "SERVICE_UNAVAILABLE")
    assert "redis" in body["error"]
    assert body["details"]["checks"]["redis"] == "unavailable"
    assert body["details"]["checks"]["database"] == "ok"
    assert "queue" not in body and "queue" not in body["details"]
