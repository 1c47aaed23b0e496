"""POST /api/stories with Prefer: respond-async (the story written by a worker, here in-process),
GET /api/jobs/{jobId}, and the pushes that say the work ended."""

import pytest

from stories.models import GenerationJob, Story
from tests.fakes.fixtures import apns, fake_apns  # noqa: F401
from tests.heroes.factories import HeroFactory
from tests.notifications.factories import DeviceFactory
from tests.usage.factories import set_quota, stories_used
from usage.models import CostReservation, UsageMetric

TOKEN = "ab" * 32


@pytest.fixture
def hero(user):
    return HeroFactory(user=user, name="Alice", traits=["brave", "curious"])


def post_async(api, hero, headers=None, **more):
    body = {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False, **more}
    return api.post(
        "/api/stories", body, format="json", HTTP_PREFER="respond-async", **(headers or {})
    )


def test_respond_async_answers_202_with_the_job_before_any_ai_call(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_async(auth_client, hero)

    assert response.status_code == 202, response.json()
    assert response["Preference-Applied"] == "respond-async"
    job = GenerationJob.objects.get(user=user)
    assert response.json() == {
        "job": {
            "id": job.pk,
            "status": "queued",
            "estimatedCompletionTime": job.estimated_completion_at.isoformat().replace(
                "+00:00", "Z"
            ),
        }
    }
    assert (job.kind, job.story_id) == ("story", None)
    assert len(queued) == 1  # the job's task, sent after commit
    # no AI call, no story, nothing charged yet: the quota is taken when the story is saved
    assert not UsageMetric.objects.exists()
    assert not Story.objects.exists()
    assert stories_used(user) == 0


def test_the_worker_writes_the_story_and_the_job_points_at_it(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_async(auth_client, hero, language="fr", generateAudio=True)
    job_id = response.json()["job"]["id"]

    answer = auth_client.get(f"/api/jobs/{job_id}")

    assert answer.status_code == 200
    story = Story.objects.get(user=user)
    job = answer.json()["job"]
    assert job == {
        "id": job_id,
        "kind": "story",
        "status": "completed",
        "progress": 100,
        "storyId": story.pk,
        "error": None,
        "errorCode": None,
        "estimatedCompletionTime": job["estimatedCompletionTime"],
    }
    assert story.language == "fr" and "Alice" in story.content
    assert stories_used(user) == 1
    # the narration asked in the same request followed the story, as it does in the request
    audio = GenerationJob.objects.get(story=story, kind="audio")
    assert audio.status == "completed"
    story.refresh_from_db()
    assert story.audio_generated
    # every piece of work ended: nothing held against the family's ceilings
    assert not CostReservation.objects.filter(ended_at__isnull=True).exists()


def test_a_family_without_stories_left_is_refused_at_once(auth_client, user, hero):
    set_quota(user, used=3, limit=3)

    response = post_async(auth_client, hero)

    assert response.status_code == 429
    assert response.json()["code"] == "QUOTA_EXCEEDED"
    assert not GenerationJob.objects.exists()


def test_a_hero_deleted_before_the_worker_fails_the_job_and_charges_nothing(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job_id = post_async(auth_client, hero, generateAudio=True).json()["job"]["id"]
    hero.delete()
    for callback in queued:
        callback()

    job = auth_client.get(f"/api/jobs/{job_id}").json()["job"]

    assert (job["status"], job["errorCode"], job["storyId"]) == ("failed", "NOT_FOUND", None)
    assert job["error"] == "Hero not found."
    assert stories_used(user) == 0
    assert not Story.objects.exists()
    assert not GenerationJob.objects.filter(kind="audio").exists()
    assert not CostReservation.objects.filter(ended_at__isnull=True).exists()


def test_another_users_job_is_404(
    other_client, auth_client, hero, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_async(auth_client, hero).json()["job"]["id"]

    response = other_client.get(f"/api/jobs/{job_id}")

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert other_client.get("/api/jobs/job_doesnotexist").status_code == 404


def test_a_retried_request_with_the_same_key_replays_the_job(
    auth_client, hero, django_capture_on_commit_callbacks
):
    headers = {"HTTP_IDEMPOTENCY_KEY": "3f9a8c1e-key"}
    with django_capture_on_commit_callbacks(execute=True):
        first = post_async(auth_client, hero, headers=headers)
        again = post_async(auth_client, hero, headers=headers)

    assert (first.status_code, again.status_code) == (202, 202)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["job"]["id"] == first.json()["job"]["id"]
    assert GenerationJob.objects.filter(kind="story").count() == 1
    assert Story.objects.count() == 1


def test_without_prefer_the_story_is_written_in_the_request(auth_client, hero):
    response = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False},
        format="json",
    )

    assert response.status_code == 201
    assert "Preference-Applied" not in response
    assert not GenerationJob.objects.filter(kind="story").exists()


def test_the_phones_hear_of_the_story_and_its_narration_without_the_childs_name(
    apns,  # noqa: F811
    auth_client,
    user,
    hero,
    django_capture_on_commit_callbacks,
):
    DeviceFactory(user=user, token=TOKEN)

    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_async(auth_client, hero, generateAudio=True).json()["job"]["id"]

    story = Story.objects.get(user=user)
    audio = GenerationJob.objects.get(story=story, kind="audio")
    bodies = [push["body"] for push in apns.pushes(TOKEN)]
    assert bodies == [
        {
            "aps": {"alert": {"body": "Your bedtime story is ready."}, "sound": "default"},
            "kind": "story",
            "status": "completed",
            "jobId": job_id,
            "storyId": story.pk,
        },
        {
            "aps": {"alert": {"body": "The narration is ready."}, "sound": "default"},
            "kind": "audio",
            "status": "completed",
            "jobId": audio.pk,
            "storyId": story.pk,
        },
    ]
    sent = " ".join(str(push) for push in apns.pushes(TOKEN))
    assert "Alice" not in sent and story.title not in sent
    assert [p["headers"]["apns-collapse-id"] for p in apns.pushes(TOKEN)] == [
        f"{story.pk}:story",
        f"{story.pk}:audio",
    ]


def test_a_failed_job_is_pushed_as_failed(
    apns,  # noqa: F811
    auth_client,
    user,
    hero,
    django_capture_on_commit_callbacks,
):
    DeviceFactory(user=user, token=TOKEN)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job_id = post_async(auth_client, hero).json()["job"]["id"]
    hero.delete()
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()

    [push] = apns.pushes(TOKEN)
    assert push["body"]["status"] == "failed" and push["body"]["jobId"] == job_id
    assert push["body"]["aps"]["alert"]["body"] == "Your bedtime story could not be written."


def test_a_push_that_fails_never_fails_the_work(
    apns,  # noqa: F811
    auth_client,
    user,
    hero,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.APNS_URL = "https://127.0.0.1:9"  # APNs unreachable
    settings.APNS_MAX_ATTEMPTS = 2
    device = DeviceFactory(user=user, token=TOKEN)
    apns.script(TOKEN, (500, "InternalServerError"))

    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_async(auth_client, hero, generateAudio=True).json()["job"]["id"]

    assert GenerationJob.objects.get(pk=job_id).status == "completed"
    assert GenerationJob.objects.get(kind="audio").status == "completed"
    device.refresh_from_db()
    assert device.last_push_result == "failed"


def test_a_narration_replaced_by_another_voice_is_not_pushed_as_failed(
    apns,  # noqa: F811
    auth_client,
    user,
    hero,
    django_capture_on_commit_callbacks,
):
    from stories.services import narration
    from tests.stories.factories import StoryFactory

    DeviceFactory(user=user, token=TOKEN)
    story = StoryFactory(user=user, hero=hero)
    with django_capture_on_commit_callbacks(execute=False):
        narration.audio_request(user=user, story=story, voice="nova")
    with django_capture_on_commit_callbacks(execute=True):
        narration.audio_request(user=user, story=story, voice="alloy")

    statuses = [(p["body"]["kind"], p["body"]["status"]) for p in apns.pushes(TOKEN)]
    assert statuses == [("audio", "completed")]


def test_a_waiting_background_story_stopped_by_a_withdrawal_gives_back_its_narration_and_pictures(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    # given a story with narration and pictures admitted, its job still waiting for a worker
    with django_capture_on_commit_callbacks(execute=False):
        response = post_async(auth_client, hero, generateAudio=True, generateIllustrations=True)
    assert response.status_code == 202
    assert CostReservation.objects.filter(ended_at__isnull=True).count() == 3

    # when the parent withdraws consent before the worker starts
    assert auth_client.delete("/api/user/consent").status_code in (200, 204)

    # then the story's work and the narration's and pictures' are all given back at once,
    # not held against the family's ceilings until the last-resort sweep hours later
    assert GenerationJob.objects.get(kind="story").status == "failed"
    assert not CostReservation.objects.filter(ended_at__isnull=True).exists()
    assert set(CostReservation.objects.values_list("state", flat=True)) == {"released"}


def test_a_preference_we_do_not_know_is_ignored_and_the_story_written_at_once(auth_client, hero):
    # RFC 7240: a server ignores preferences it does not support (found by the fuzzer)
    response = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False},
        format="json",
        HTTP_PREFER="return=minimal",
    )

    assert response.status_code == 201
    assert "Preference-Applied" not in response
    assert Story.objects.filter(pk=response.json()["story"]["id"]).exists()
