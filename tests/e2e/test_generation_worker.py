"""End to end on real infrastructure: a Celery worker on Redis, PostgreSQL, the real openai SDK
against the fake OpenAI server, and moto's S3 server.

    DATABASE_URL=postgres://... REDIS_URL=redis://... pytest -m e2e tests/e2e
"""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from mutagen.mp3 import MP3
from PIL import Image

from stories.models import GenerationJob, Story, StoryIllustration
from stories.services import jobs
from tests.conftest import S3_BUCKET
from tests.e2e.conftest import bucket_keys
from tests.helpers import wait_for
from tests.heroes.factories import HeroFactory
from tests.usage.factories import stories_used
from usage.models import UsageMetric
from usage.selectors import usage_cost

# OpenAI's narration is part of what these tests check: its models still answer, whatever day
# the suite runs on (TEST_TODAY).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("openai_speech_alive")]


def _job(story_id: str, kind: str) -> GenerationJob | None:
    return GenerationJob.objects.filter(story_id=story_id, kind=kind).first()


def _settled(story_id: str, kinds: tuple[str, ...]):
    rows = [_job(story_id, kind) for kind in kinds]
    return all(job is not None and job.status in ("completed", "failed") for job in rows) and rows


def test_story_audio_three_illustrations_and_avatar_on_a_real_worker(
    e2e, s3_storage, openai_provider, auth_client, user
):
    e2e()
    hero = HeroFactory(user=user, name="Alice", traits=["brave", "kind"])

    avatar = auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json")
    assert avatar.status_code == 200, avatar.json()
    created = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "generateIllustrations": True},
        format="json",
    )
    assert created.status_code == 201, created.json()
    story_id = created.json()["story"]["id"]

    audio_job, ill_job = wait_for(
        lambda: _settled(story_id, ("audio", "illustrations")), timeout=60, message="both jobs"
    )

    assert (audio_job.status, audio_job.attempts) == ("completed", 1)
    assert (ill_job.status, ill_job.attempts, ill_job.error_message) == ("completed", 1, "")
    story = Story.objects.get(pk=story_id)
    hero.refresh_from_db()
    # files in the bucket: one avatar, one MP3, three PNGs, and they are the ones referenced
    assert bucket_keys(s3_storage, "avatars/") == [hero.avatar_key]
    assert bucket_keys(s3_storage, "audio/") == [story.audio_key]
    pictures = list(StoryIllustration.objects.filter(story=story).order_by("display_order"))
    assert [p.generation_status for p in pictures] == ["completed"] * 3
    assert sorted(bucket_keys(s3_storage, "illustrations/")) == sorted(
        p.image_key for p in pictures
    )
    for picture in pictures:
        body = s3_storage.get_object(Bucket=S3_BUCKET, Key=picture.image_key)["Body"].read()
        assert Image.open(io.BytesIO(body)).format == "PNG"
    # the MP3 lasts as long as the story takes to read (0.4 s a word in the fake voice)
    mp3 = s3_storage.get_object(Bucket=S3_BUCKET, Key=story.audio_key)["Body"].read()
    duration = MP3(io.BytesIO(mp3)).info.length
    words = len(f"{story.title}. {story.content}".split())
    assert duration == pytest.approx(words * 0.4, rel=0.02)
    assert story.audio_duration == pytest.approx(duration, abs=0.05)
    # scenes are timed inside the narration, in order
    stamps = [p.timestamp for p in pictures]
    assert stamps == sorted(stamps) and stamps[-1] < story.audio_duration
    # usage: one row per call, all successful, costs from the price table
    rows = UsageMetric.objects.filter(user=user)
    counts = {
        op: rows.filter(operation=op).count() for op in rows.values_list("operation", flat=True)
    }
    assert counts == {
        # avatar input and picture, story input, generated story, the three pictures
        "moderation": 7,
        "avatar_generation": 1,
        "visual_profile": 1,
        "story_generation": 1,
        "audio_synthesis": 1,
        "audio_transcription": 1,  # word timings for read-along
        "scene_extraction": 1,
        "image_generation": 3,
    }
    assert not rows.filter(success=False).exists()
    for row in rows:
        assert row.cost == usage_cost(
            vendor=row.vendor,
            model=row.model,
            unit=row.unit,
            input_units=row.input_units,
            output_units=row.output_units,
        )
    assert rows.get(operation="story_generation").cost > 0
    assert rows.get(operation="audio_synthesis").cost == (
        sum(Decimal(len(c.body["input"])) for c in openai_provider.calls("/v1/audio/speech"))
        * Decimal("0.000015")
    ).quantize(Decimal("0.000001"))
    assert stories_used(user) == 1
    status = auth_client.get(f"/api/stories/{story_id}/audio/status").json()
    assert status["audioGenerated"] is True and status["audioUrl"]


def test_provider_failing_twice_then_answering_completes_the_job(
    e2e, s3_storage, openai_provider, auth_client, user
):
    e2e()
    hero = HeroFactory(user=user)
    openai_provider.fail("/v1/audio/speech", times=2, status=500)

    created = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )
    assert created.status_code == 201
    story_id = created.json()["story"]["id"]

    (job,) = wait_for(lambda: _settled(story_id, ("audio",)), timeout=60, message="the audio job")

    assert (job.status, job.attempts) == ("completed", 3)
    rows = UsageMetric.objects.filter(operation="audio_synthesis").order_by("created_at")
    assert [r.success for r in rows] == [False, False, True]
    assert len(bucket_keys(s3_storage, "audio/")) == 1


def test_worker_killed_mid_job_is_swept_and_finished_once(
    e2e, s3_storage, openai_provider, auth_client, user
):
    first = e2e()
    hero = HeroFactory(user=user)
    openai_provider.delay["/v1/audio/speech"] = 5.0  # the job is mid-call when the worker dies

    created = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )
    assert created.status_code == 201
    story_id = created.json()["story"]["id"]
    wait_for(lambda: openai_provider.calls("/v1/audio/speech"), timeout=30, message="a TTS call")
    assert _job(story_id, "audio").status == "processing"

    first.kill()
    openai_provider.delay.clear()
    e2e()

    def swept():
        jobs.jobs_sweep(stale_after=timedelta(seconds=3))
        return _settled(story_id, ("audio",))

    (job,) = wait_for(swept, timeout=60, every=0.5, message="the swept job to finish")

    assert (job.status, job.attempts) == ("completed", 2)
    story = Story.objects.get(pk=story_id)
    assert bucket_keys(s3_storage, "audio/") == [story.audio_key]
    rows = UsageMetric.objects.filter(operation="audio_synthesis", success=True)
    assert rows.count() == 1 and rows.get().cost > 0
    # the killed worker's call reached the server but never came back: no row, no file for it
    assert len(openai_provider.calls("/v1/audio/speech")) == 2
    assert UsageMetric.objects.filter(operation="story_generation").count() == 1
    assert stories_used(user) == 1
