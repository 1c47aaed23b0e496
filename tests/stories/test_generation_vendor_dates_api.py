# ruff: noqa: F811 - the fake-vendor fixtures are imported, then asked for by name
"""A story with narration and pictures after OpenAI's speech models shut down (2027-01-06) and
after its transcription models shut down (2027-02-26), on the default vendor chains and with the
clock set to those days: the story plays, read-along follows its words with the vendor's own
timings, pictures are timed by them, and no OpenAI speech or transcription request is made."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from mutagen.mp3 import MP3

from infinitestories.ai import chain, timings
from media.selectors import media_read
from stories.models import Story
from tests.fakes.elevenlabs_server import SECONDS_PER_WORD as ELEVEN_PACE
from tests.fakes.fixtures import (  # noqa: F401
    elevenlabs_provider,
    fake_elevenlabs,
    fake_openai,
    fake_polly,
    openai_provider,
    polly_provider,
)
from tests.fakes.polly_server import SECONDS_PER_WORD as POLLY_PACE
from tests.helpers import client_for, post_story
from tests.heroes.factories import HeroFactory
from tests.usage.factories import put_on_plan
from usage.models import UsageMetric


@pytest.fixture
def on_day(monkeypatch):
    """Sets the clock to 20:00 UTC of a day; returns a client signed in on that day."""

    def move(day: datetime.date, user):
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(20)))
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return client_for(user)

    return move


def tell_story(api, user, on_commit, **more) -> Story:
    # a narrated, illustrated story priced at ElevenLabs is more than the free plan's day allows
    put_on_plan(user, daily_cost_ceiling=Decimal("5.00"), monthly_cost_ceiling=Decimal("50.00"))
    hero = HeroFactory(user=user, name="Alice")
    response = post_story(
        api,
        hero,
        on_commit=on_commit,
        generateAudio=True,
        generateIllustrations=True,
        **more,
    )
    assert response.status_code == 201, response.json()
    story = Story.objects.get(pk=response.json()["story"]["id"])
    assert story.audio_generated
    return story


def assert_story_plays_and_reads_along(api, story: Story, pace: float) -> list[dict]:
    mp3 = media_read(key=story.audio_key)
    duration = MP3(io.BytesIO(mp3)).info.length
    assert duration == pytest.approx(
        len(f"{story.title}. {story.content}".split()) * pace, rel=0.02
    )
    body = api.get(f"/api/stories/{story.pk}/audio/timings").json()
    assert body["source"] == "vendor"
    words = body["words"]
    spoken = timings.spoken_words(f"{story.title}.\n\n{story.content}")
    assert [w["text"] for w in words] == [s.text for s in spoken]
    assert all(0 <= w["start"] <= w["end"] <= duration for w in words)
    # the vendor's own times: the second word starts one slot of its pace in
    assert words[1]["start"] == pytest.approx(pace, abs=0.01)
    # the pictures show when their scene's first word is spoken
    pictures = list(story.illustrations.order_by("display_order"))
    assert len(pictures) == 3 and all(p.generation_status == "completed" for p in pictures)
    starts = {w["start"] for w in words}
    assert all(p.timestamp in starts for p in pictures)
    return words


@pytest.fixture
def default_chains(openai_provider, elevenlabs_provider, polly_provider, settings):
    """The production defaults: OpenAI for text and pictures; narration by date (no
    AI_TTS_PROVIDER_CHAIN), transcription switched on."""
    settings.AI_TTS_PROVIDER_CHAIN = []
    settings.AI_TTS_TRANSCRIBE = True
    chain._provider.cache_clear()
    return openai_provider


def test_after_openai_speech_shuts_down_elevenlabs_narrates_and_no_openai_audio_is_asked(
    default_chains, fake_elevenlabs, fake_polly, user, on_day, django_capture_on_commit_callbacks
):
    api = on_day(datetime.date(2027, 1, 10), user)

    story = tell_story(api, user, django_capture_on_commit_callbacks, language="es")

    assert_story_plays_and_reads_along(api, story, ELEVEN_PACE)
    assert fake_elevenlabs.calls("/v1/text-to-speech/")
    assert not fake_polly.calls("/v1/speech")
    assert not default_chains.calls("/v1/audio/")  # no OpenAI speech, no whisper
    assert not UsageMetric.objects.filter(operation="audio_transcription").exists()


def test_after_openai_transcription_shuts_down_polly_narrates_alone_without_elevenlabs_key(
    default_chains,
    fake_elevenlabs,
    fake_polly,
    user,
    on_day,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.ELEVENLABS_API_KEY = ""
    chain._provider.cache_clear()
    api = on_day(datetime.date(2027, 3, 1), user)

    story = tell_story(api, user, django_capture_on_commit_callbacks, language="it")

    assert_story_plays_and_reads_along(api, story, POLLY_PACE)
    assert {c.body["VoiceId"] for c in fake_polly.calls("/v1/speech")} == {"Bianca"}
    assert not fake_elevenlabs.calls("/v1/")
    assert not default_chains.calls("/v1/audio/")
    rows = UsageMetric.objects.filter(operation="audio_synthesis")
    assert {(r.vendor, r.model, r.success) for r in rows} == {("polly", "neural", True)}
    assert not UsageMetric.objects.filter(operation="audio_transcription").exists()
