"""Issue 17 (d) and (f) on the Procfile's web, a real Celery worker with production settings,
PostgreSQL, Redis, moto's S3 and the fake OpenAI server: a free family's narration survives a
storage outage longer than the in-place retries and a soft time limit shorter than the narration
with every piece bought once, and pictures moderation flags are drawn again only as far as the
job's reservation covers. Every request goes through the web process, as the app's would.

    DATABASE_URL=postgres://... REDIS_URL=redis://... pytest -m e2e tests/e2e/test_ai_work_faults.py
"""

from decimal import Decimal

import pytest

from infinitestories.ai.speech import split_text
from stories.models import GenerationJob, Story
from tests.e2e.conftest import Web, bucket_keys
from tests.fakes.storage_faults import StorageFaults
from tests.helpers import wait_for
from tests.stories.factories import StoryFactory
from usage.models import CostReservation, UsageMetric

# OpenAI narrates here, whatever day the suite runs on (TEST_TODAY).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("openai_speech_alive")]

# Four pieces of narration (the vendor takes 4096 characters a request).
LONG = " ".join(f"Sentence number {i} tells of a calm and happy star." for i in range(300))
SPEECH, TRANSCRIPTION = "/v1/audio/speech", "/v1/audio/transcriptions"
PICTURES = "/v1/images/"  # drawn (generations) or drawn from a reference (edits)


@pytest.fixture
def storage(_moto_server):
    """Storage the test can take away: the workers' R2_ENDPOINT through a fault proxy."""
    proxy = StorageFaults(_moto_server).start()
    yield proxy
    proxy.stop()


def ended(job: GenerationJob) -> GenerationJob | None:
    job.refresh_from_db()
    return job if not job.is_active and job.ai_work.ended_at else None


def spent(user) -> Decimal:
    return sum((row.cost for row in UsageMetric.objects.filter(user=user)), Decimal(0))


def narration_job(app, story: Story) -> GenerationJob:
    answer = app.post(f"/api/stories/{story.pk}/audio", json={})
    assert answer.status_code == 202, answer.text
    return GenerationJob.objects.select_related("ai_work").get(story=story, kind="audio")


def assert_delivered_once(app, story: Story, job: GenerationJob, openai_provider, s3) -> None:
    """The narration reached the app, each piece was bought (spoken and transcribed) once, the
    work settled within what was reserved, and no kept piece is left behind."""
    assert job.status == "completed", job.error_message
    status = app.get(f"/api/stories/{story.pk}/audio/status").json()
    assert status["audioGenerated"] is True and status["audioUrl"], status
    pieces = len(split_text(story.spoken_text))
    assert pieces == 4
    assert len(openai_provider.calls(SPEECH)) == pieces
    assert len(openai_provider.calls(TRANSCRIPTION)) == pieces
    work = CostReservation.objects.get(pk=job.ai_work_id)
    assert work.state == "settled"
    assert Decimal(0) < spent(story.user) <= work.amount
    assert bucket_keys(s3, f"narration-pieces/{job.pk}/") == []


def test_a_storage_outage_longer_than_the_in_place_retries_buys_no_piece_twice(
    e2e, web, storage, openai_provider, s3_storage, user
):
    # given a long narration, one piece at a time, on a worker whose storage fails once two of
    # its pieces are kept (503 to every request, through the client's own retries)
    e2e(AI_TTS_CONCURRENCY="1", R2_ENDPOINT=storage.url)
    storage.down_after_puts("narration-pieces/", 2)
    story = StoryFactory(user=user, content=LONG)
    app = web.client(user)

    # when the family asks for it and storage stays away until the job has been put back for
    # a retry (the in-place retries ran out)
    job = narration_job(app, story)
    wait_for(lambda: storage.is_down, timeout=60, message="storage to go down")
    wait_for(
        lambda: GenerationJob.objects.filter(pk=job.pk, attempts__gte=2).exists(),
        timeout=60,
        message="the job to be retried",
    )
    bought_while_away = len(openai_provider.calls(SPEECH))
    storage.up()

    # then nothing was bought while storage was away, the retry bought only the missing pieces,
    # and the narration arrived within what was reserved
    job = wait_for(lambda: ended(job), timeout=60, message="the narration to end")
    assert storage.refused > 0
    assert bought_while_away == 2
    assert job.attempts >= 2
    assert_delivered_once(app, story, job, openai_provider, s3_storage)


@pytest.fixture
def short_time_limit_web(e2e, tmp_path):
    """The web process and a worker whose tasks get 3 seconds (the sender's limits travel with
    the task message, so both are started with them, as one deployment is)."""
    limits = {"CELERY_TASK_SOFT_TIME_LIMIT": "3", "CELERY_TASK_TIME_LIMIT": "60"}
    e2e(AI_TTS_CONCURRENCY="1", **limits)
    server = Web({**e2e.env, **limits}, tmp_path / "web.log")
    yield server
    server.stop()


def test_a_soft_time_limit_shorter_than_the_narration_buys_no_piece_twice(
    short_time_limit_web, openai_provider, s3_storage, user
):
    # given tasks that get 3 seconds, and a vendor that takes a second a piece
    openai_provider.delay[SPEECH] = 1.0
    story = StoryFactory(user=user, content=LONG)
    app = short_time_limit_web.client(user)

    # when the family asks for a narration that takes longer than that
    job = narration_job(app, story)
    job = wait_for(lambda: ended(job), timeout=75, message="the narration to end")

    # then the time limit stopped a run, and the next reused every piece already bought
    assert job.attempts >= 2
    assert_delivered_once(app, story, job, openai_provider, s3_storage)


def test_flagged_pictures_are_redrawn_within_the_reservation_only(
    e2e, web, openai_provider, settings, user
):
    # given image moderation that flags every picture drawn
    e2e()
    openai_provider.flag_images(times=None)
    story = StoryFactory(user=user, content=LONG)
    app = web.client(user)

    # when the family asks for three pictures
    answer = app.post(f"/api/stories/{story.pk}/illustrations", json={"count": 3})
    assert answer.status_code == 202, answer.text
    job = GenerationJob.objects.select_related("ai_work").get(story=story, kind="illustrations")
    job = wait_for(lambda: ended(job), timeout=60, message="the pictures' job to end")

    # then each picture was drawn once and redrawn at most AI_IMAGE_REDRAWS times in all, the
    # pictures failed for the app to see, and the spend stayed within the one reservation
    assert len(openai_provider.calls(PICTURES)) == 3 + settings.AI_IMAGE_REDRAWS
    assert job.status == "failed"
    listed = app.get(f"/api/stories/{story.pk}/illustrations").json()["illustrations"]
    assert [row["generationStatus"] for row in listed] == ["failed"] * 3
    work = CostReservation.objects.get(pk=job.ai_work_id)
    assert work.state == "settled"
    assert Decimal(0) < spent(user) <= work.amount
    assert CostReservation.objects.filter(user=user).count() == 1
