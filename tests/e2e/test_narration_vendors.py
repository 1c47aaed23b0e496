"""Narration by each speech vendor on a real Celery worker (the real SDKs against the fake
vendor servers, moto's S3, PostgreSQL, Redis), and a vendor failing over to the next mid-story.

    DATABASE_URL=postgres://... REDIS_URL=redis://... pytest -m e2e tests/e2e
"""

import io
from decimal import Decimal

import pytest
from mutagen.mp3 import MP3

from infinitestories.ai import timings
from stories.models import GenerationJob, Story
from tests.conftest import S3_BUCKET
from tests.e2e.conftest import bucket_keys
from tests.fakes.elevenlabs_server import SECONDS_PER_WORD as ELEVEN_PACE
from tests.fakes.openai_server import SECONDS_PER_WORD as OPENAI_PACE
from tests.helpers import wait_for
from tests.heroes.factories import HeroFactory
from usage.models import UsageMetric

# OpenAI's narration is part of what these tests check: its models still answer, whatever day
# the suite runs on (TEST_TODAY).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("openai_speech_alive")]


def elevenlabs_env(server, **more: str) -> dict:
    return {
        "ELEVENLABS_API_KEY": "xi-test",
        "ELEVENLABS_BASE_URL": server.base_url,
        **more,
    }


def narrated_story(auth_client, user, s3, **more) -> tuple[Story, bytes]:
    """POST a story, wait for its narration job, and read its MP3 from the bucket."""
    hero = HeroFactory(user=user, name="Alice")
    created = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime", **more}, format="json"
    )
    assert created.status_code == 201, created.json()
    story_id = created.json()["story"]["id"]
    job = wait_for(
        lambda: GenerationJob.objects.filter(
            story_id=story_id, kind="audio", status__in=["completed", "failed"]
        ).first(),
        timeout=60,
        message="the narration job",
    )
    assert (job.status, job.attempts, job.error_message) == ("completed", 1, "")
    story = Story.objects.get(pk=story_id)
    assert bucket_keys(s3, "audio/") == [story.audio_key]
    return story, s3.get_object(Bucket=S3_BUCKET, Key=story.audio_key)["Body"].read()


def assert_read_along(auth_client, story: Story, duration: float, source: str) -> list[dict]:
    """The timings answer: the text's spoken words in order, inside the measured audio."""
    response = auth_client.get(f"/api/stories/{story.pk}/audio/timings")
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == source
    words = body["words"]
    text = f"{story.title}.\n\n{story.content}"
    assert [w["text"] for w in words] == [s.text for s in timings.spoken_words(text)]
    assert [w["start"] for w in words] == sorted(w["start"] for w in words)
    assert all(0 <= w["start"] <= w["end"] <= duration for w in words)
    assert words[-1]["end"] > duration - 1.0
    return words


def assert_pictured_at_word_starts(story, words: list[dict]) -> None:
    """Once the pictures are drawn, each shows when its scene's first word is spoken."""
    wait_for(
        lambda: GenerationJob.objects.filter(
            story=story, kind="illustrations", status="completed"
        ).first(),
        message="the pictures",
    )
    tokens = story.content.split()
    title_words = len(timings.spoken_words(story.title))
    for picture in story.illustrations.order_by("display_order"):
        index = title_words + len(timings.spoken_words(" ".join(tokens[: picture.word_index])))
        assert picture.timestamp == words[index]["start"]


def test_a_story_narrated_by_elevenlabs(
    e2e, s3_storage, fake_elevenlabs, openai_provider, auth_client, user
):
    e2e(**elevenlabs_env(fake_elevenlabs, AI_TTS_PROVIDER_CHAIN="elevenlabs"))

    story, mp3 = narrated_story(auth_client, user, s3_storage, generateIllustrations=True)

    # a real MP3, as long as the fake ElevenLabs voice takes to read the text, measured
    duration = MP3(io.BytesIO(mp3)).info.length
    spoken_tokens = len(f"{story.title}. {story.content}".split())
    assert duration == pytest.approx(spoken_tokens * ELEVEN_PACE, rel=0.02)
    assert story.audio_duration == pytest.approx(duration, abs=0.05)
    words = assert_read_along(auth_client, story, duration, "vendor")
    assert words[1]["start"] == pytest.approx(ELEVEN_PACE, abs=0.01)  # the vendor's own times
    assert not openai_provider.calls("/v1/audio/")
    rows = UsageMetric.objects.filter(operation="audio_synthesis")
    assert {(r.vendor, r.model, r.success) for r in rows} == {
        ("elevenlabs", "eleven_multilingual_v2", True)
    }
    characters = sum(len(c.body["text"]) for c in fake_elevenlabs.calls("/v1/text-to-speech/"))
    assert sum(r.cost for r in rows) == pytest.approx(Decimal(characters) * Decimal("0.0001"))
    # each picture shows when the vendor's timings say its scene's first word is spoken
    assert_pictured_at_word_starts(story, words)


def test_a_story_narrated_by_openai_with_transcribed_timings(
    e2e, s3_storage, openai_provider, auth_client, user
):
    e2e()

    story, mp3 = narrated_story(auth_client, user, s3_storage)

    duration = MP3(io.BytesIO(mp3)).info.length
    spoken_tokens = len(f"{story.title}. {story.content}".split())
    assert duration == pytest.approx(spoken_tokens * OPENAI_PACE, rel=0.02)
    assert story.audio_duration == pytest.approx(duration, abs=0.05)
    assert_read_along(auth_client, story, duration, "transcription")
    speech = openai_provider.calls("/v1/audio/speech")
    assert len(openai_provider.calls("/v1/audio/transcriptions")) == len(speech) >= 1
    transcription = UsageMetric.objects.filter(operation="audio_transcription")
    assert {(r.vendor, r.model, r.unit, r.success) for r in transcription} == {
        ("openai", "whisper-1", "seconds", True)
    }
    assert all(r.cost > 0 for r in transcription)


def test_elevenlabs_failing_mid_story_hands_the_story_to_openai(
    e2e, s3_storage, fake_elevenlabs, openai_provider, auth_client, user
):
    # given ElevenLabs first with small pieces, answering the first one and then failing
    fake_elevenlabs.fail("/v1/text-to-speech/", times=None, status=503, after=1)
    e2e(
        **elevenlabs_env(
            fake_elevenlabs,
            AI_TTS_PROVIDER_CHAIN="elevenlabs,openai",
            ELEVENLABS_TTS_INPUT_LIMIT="500",
            AI_TTS_CONCURRENCY="1",
        )
    )

    story, mp3 = narrated_story(auth_client, user, s3_storage)

    # then the job completed on its first attempt, OpenAI narrating the whole story in one voice
    assert [c.status for c in fake_elevenlabs.calls("/v1/text-to-speech/")] == [200, 503]
    duration = MP3(io.BytesIO(mp3)).info.length
    spoken_tokens = len(f"{story.title}. {story.content}".split())
    assert duration == pytest.approx(spoken_tokens * OPENAI_PACE, rel=0.02)
    assert_read_along(auth_client, story, duration, "transcription")
    rows = UsageMetric.objects.filter(operation="audio_synthesis").order_by("created_at")
    assert [(r.vendor, r.success) for r in rows] == [
        ("elevenlabs", True),
        ("elevenlabs", False),
        *[("openai", True)] * len(openai_provider.calls("/v1/audio/speech")),
    ]
