"""A story written in the background by a real Celery worker, and the pushes that worker sends to
the fake APNs over HTTP/2 and TLS (its CA trusted through APNS_CA_FILE).

    DATABASE_URL=postgres://... REDIS_URL=redis://... pytest -m e2e tests/e2e/test_background_story.py
"""

import os

import jwt
import pytest

from notifications.models import Device
from stories.models import GenerationJob, Story
from tests.fakes.fixtures import (  # noqa: F401
    APNS_KEY_ID,
    APNS_TEAM_ID,
    APNS_TOPIC,
    apns_key_pem,
    fake_apns,
)
from tests.helpers import wait_for
from tests.heroes.factories import HeroFactory
from tests.notifications.factories import DeviceFactory
from tests.usage.factories import stories_used

# OpenAI narrates here, whatever day the suite runs on (TEST_TODAY).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("openai_speech_alive")]

TOKEN = "5a" * 32
GONE = "6b" * 32


def _ended(job_id: str) -> GenerationJob | None:
    job = GenerationJob.objects.filter(pk=job_id).first()
    return job if job is not None and job.status in ("completed", "failed") else None


@pytest.mark.skipif(
    bool(os.environ.get("TEST_TODAY")),
    reason="reads the day's spend and the month's quota, which the workers (on the real clock) "
    "write under another day than TEST_TODAY's",
)
def test_a_story_written_by_a_worker_is_pushed_to_the_familys_phones(
    e2e,
    fake_apns,  # noqa: F811
    auth_client,
    user,
):
    pem, public_key = apns_key_pem()
    e2e(
        APNS_KEY_ID=APNS_KEY_ID,
        APNS_TEAM_ID=APNS_TEAM_ID,
        APNS_PRIVATE_KEY=pem,
        APNS_TOPIC=APNS_TOPIC,
        APNS_URL=fake_apns.base_url,
        APNS_SANDBOX_URL=fake_apns.base_url,
        APNS_CA_FILE=str(fake_apns.ca_file),
        APNS_RETRY_WAIT="0",
    )
    hero = HeroFactory(user=user, name="Alice", traits=["brave"])
    DeviceFactory(user=user, token=TOKEN)
    DeviceFactory(user=user, token=GONE, environment="sandbox")
    fake_apns.script(GONE, (410, "Unregistered"))

    response = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": True},
        format="json",
        HTTP_PREFER="respond-async",
    )

    assert response.status_code == 202, response.json()
    assert response["Preference-Applied"] == "respond-async"
    job_id = response.json()["job"]["id"]
    wait_for(lambda: _ended(job_id), timeout=60, message="the story job")
    job = auth_client.get(f"/api/jobs/{job_id}").json()["job"]
    assert (job["kind"], job["status"], job["errorCode"]) == ("story", "completed", None)
    story = Story.objects.get(pk=job["storyId"], user=user)
    assert "Alice" in story.content
    assert stories_used(user) == 1
    audio = wait_for(
        lambda: _ended(GenerationJob.objects.get(story=story, kind="audio").pk),
        timeout=60,
        message="the narration",
    )
    assert audio.status == "completed"

    pushes = wait_for(
        lambda: len(fake_apns.pushes(TOKEN)) >= 2 and fake_apns.pushes(TOKEN),
        timeout=30,
        message="two pushes",
    )
    assert sorted((p["body"]["kind"], p["body"]["status"]) for p in pushes) == [
        ("audio", "completed"),
        ("story", "completed"),
    ]
    for push in pushes:
        assert push["http_version"] == "2"
        assert push["headers"]["apns-topic"] == APNS_TOPIC
        assert push["headers"]["apns-push-type"] == "alert"
        assert push["body"]["storyId"] == story.pk
        assert "Alice" not in str(push) and story.title not in str(push)
        bearer = push["headers"]["authorization"].removeprefix("bearer ")
        assert jwt.decode(bearer, public_key, algorithms=["ES256"])["iss"] == APNS_TEAM_ID
    # one provider token for both pushes, whichever worker process sent them (the shared cache)
    assert len({p["headers"]["authorization"] for p in pushes}) == 1
    # Apple said the sandbox phone is gone: it was forgotten at its first push
    assert list(Device.objects.filter(user=user).values_list("token", flat=True)) == [TOKEN]
    assert len(fake_apns.pushes(GONE)) == 1
