"""Past OpenAI's speech shutdown (2027-01-06) and its transcription shutdown (2027-02-26), on a
real Celery worker with the default vendor chains: a story narrated by ElevenLabs failing over
to Amazon Polly mid-story, and one narrated by Polly alone, both play, read along with Polly's
word timings, are pictured at those timings, and no OpenAI speech or transcription is asked.

The worker runs on the real clock: each test moves the shutdown days before today, which is
what the code compares (tests/stories/test_generation_vendor_dates_api.py moves the clock).
"""

import datetime
import io

import pytest
from mutagen.mp3 import MP3

from tests.e2e.test_narration_vendors import (
    assert_pictured_at_word_starts,
    assert_read_along,
    narrated_story,
)
from tests.fakes.polly_server import SECONDS_PER_WORD as POLLY_PACE
from usage.models import UsageMetric

pytestmark = pytest.mark.e2e


def past(days: int) -> str:
    """A day before the workers' real date (they keep the real clock, also with TEST_TODAY)."""
    return (datetime.date.today() - datetime.timedelta(days=days)).isoformat()


def polly_env(server) -> dict:
    return {
        "POLLY_ENDPOINT_URL": server.base_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AI_TTS_TRANSCRIBE": "true",
    }


def test_after_speech_shutdown_elevenlabs_fails_mid_story_and_polly_narrates_it_all(
    e2e, s3_storage, fake_elevenlabs, fake_polly, openai_provider, auth_client, user
):
    # given the default chain after 2027-01-06 (ElevenLabs, then Polly), ElevenLabs answering
    # its first piece and then failing
    fake_elevenlabs.fail("/v1/text-to-speech/", times=None, status=503, after=1)
    e2e(
        **polly_env(fake_polly),
        ELEVENLABS_API_KEY="xi-test",
        ELEVENLABS_BASE_URL=fake_elevenlabs.base_url,
        ELEVENLABS_TTS_INPUT_LIMIT="500",
        AI_TTS_CONCURRENCY="1",
        AI_OPENAI_TTS_SHUTDOWN=past(1),
    )

    story, mp3 = narrated_story(auth_client, user, s3_storage, generateIllustrations=True)

    # then the job completed at once, Polly narrating the whole story in one voice
    assert [c.status for c in fake_elevenlabs.calls("/v1/text-to-speech/")] == [200, 503]
    duration = MP3(io.BytesIO(mp3)).info.length
    spoken_tokens = len(f"{story.title}. {story.content}".split())
    assert duration == pytest.approx(spoken_tokens * POLLY_PACE, rel=0.02)
    words = assert_read_along(auth_client, story, duration, "vendor")
    assert words[1]["start"] == pytest.approx(POLLY_PACE, abs=0.01)
    assert_pictured_at_word_starts(story, words)
    rows = UsageMetric.objects.filter(operation="audio_synthesis").order_by("created_at")
    assert [(r.vendor, r.success) for r in rows][:2] == [
        ("elevenlabs", True),
        ("elevenlabs", False),
    ]
    assert {(r.vendor, r.model, r.success) for r in rows[2:]} == {("polly", "neural", True)}
    assert not openai_provider.calls("/v1/audio/")


def test_after_transcription_shutdown_polly_alone_narrates_with_its_own_timings(
    e2e, s3_storage, fake_polly, openai_provider, auth_client, user
):
    # given no ElevenLabs key, both OpenAI shutdowns past
    e2e(
        **polly_env(fake_polly),
        ELEVENLABS_API_KEY="",
        AI_OPENAI_TTS_SHUTDOWN=past(60),
        AI_OPENAI_TRANSCRIPTION_SHUTDOWN=past(1),
    )

    story, mp3 = narrated_story(auth_client, user, s3_storage, generateIllustrations=True)

    duration = MP3(io.BytesIO(mp3)).info.length
    words = assert_read_along(auth_client, story, duration, "vendor")
    assert words[1]["start"] == pytest.approx(POLLY_PACE, abs=0.01)
    assert_pictured_at_word_starts(story, words)
    assert fake_polly.calls("/v1/speech")
    assert not openai_provider.calls("/v1/audio/")
    assert not UsageMetric.objects.filter(operation="audio_transcription").exists()
