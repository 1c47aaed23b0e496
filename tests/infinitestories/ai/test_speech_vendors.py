"""Narration by each speech vendor through its real SDK against a fake server on loopback:
which vendor narrates, in which voice, in pieces within its limit, with word timings, metered
and priced; and a vendor that fails part-way hands the whole story to the next one."""

import datetime
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from infinitestories.ai import chain, speech, timings
from infinitestories.ai.audio_files import mp3_duration
from infinitestories.ai.base import Capability
from infinitestories.ai.errors import PermanentProviderError, TransientProviderError
from tests.fakes.elevenlabs_server import SECONDS_PER_WORD as ELEVEN_PACE
from tests.fakes.openai_server import SECONDS_PER_WORD as OPENAI_PACE
from usage.models import UsageMetric

# OpenAI's narration is what these tests check: its models still answer, whatever day the suite
# runs on (TEST_TODAY).
pytestmark = pytest.mark.usefixtures("openai_speech_alive")

PARAGRAPH = (
    "Mia tiptoed to the window. The moon, round and silver, was smiling at her! "
    "“Good night, Moon,” she whispered — and the stars blinked twice. "
)
TEXT = "The Moon Who Smiled.\n\n" + PARAGRAPH * 12  # about 1,700 characters


def narrate(text: str = TEXT, voice: str = "nova") -> speech.Narration:
    ctx = chain.CallContext(operation="audio_synthesis", story_id="story_x")
    return speech.narration_synthesize(ctx=ctx, text=text, voice=voice)


def assert_read_along(narration: speech.Narration, text: str = TEXT) -> None:
    """One entry per spoken word of the text, in order, non-decreasing, inside the audio."""
    words = narration.words
    assert [w["text"] for w in words] == [s.text for s in timings.spoken_words(text)]
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    assert all(0 <= w["start"] <= w["end"] <= narration.duration for w in words)
    assert words[-1]["end"] > narration.duration - 1.0  # the last word is spoken at the end


def test_every_prd_voice_has_a_voice_at_every_vendor(settings):
    for vendor, table in settings.AI_TTS_VOICES.items():
        assert set(table) == set(speech.VOICES), vendor
        assert all(table.values()), vendor


def test_elevenlabs_narrates_in_pieces_within_its_limit_with_its_own_word_timings(
    elevenlabs_provider, settings
):
    settings.ELEVENLABS_TTS_INPUT_LIMIT = 600
    chain._provider.cache_clear()

    narration = narrate(voice="fable")

    calls = elevenlabs_provider.calls("/v1/text-to-speech/")
    assert len(calls) == 3 and all(len(c.body["text"]) <= 600 for c in calls)
    # the SDK's real request: the table's voice for "fable" in the path, model and format
    fable = settings.AI_TTS_VOICES["elevenlabs"]["fable"]
    assert {c.path for c in calls} == {f"/v1/text-to-speech/{fable}/with-timestamps"}
    assert {c.body["model_id"] for c in calls} == {"eleven_multilingual_v2"}
    assert {parse_qs(c.query)["output_format"][0] for c in calls} == {"mp3_44100_128"}
    assert {parse_qs(c.query)["enable_logging"][0] for c in calls} == {"true"}
    # a real MP3 as long as the fake voice takes, and vendor timings joined across pieces
    assert narration.vendor == "elevenlabs" and narration.pieces == 3
    assert narration.duration == pytest.approx(len(TEXT.split()) * ELEVEN_PACE, rel=0.02)
    assert narration.duration == pytest.approx(mp3_duration(narration.audio), abs=0.01)
    assert narration.timings_source == "vendor"
    assert_read_along(narration)
    # the second piece's first word starts after the first piece's audio
    (first,) = [c for c in calls if c.body["text"].startswith("The Moon Who Smiled.")]
    spoken_in_first = len(timings.spoken_words(first.body["text"]))
    first_length = len(first.body["text"].split()) * ELEVEN_PACE  # "—" takes its time too
    assert narration.words[spoken_in_first]["start"] == pytest.approx(first_length, abs=0.05)
    # metered per piece, priced from the price table (USD 100 per million characters)
    rows = UsageMetric.objects.filter(operation="audio_synthesis")
    assert {(r.vendor, r.model, r.unit, r.success) for r in rows} == {
        ("elevenlabs", "eleven_multilingual_v2", "characters", True)
    }
    assert sum(r.input_units for r in rows) == sum(len(c.body["text"]) for c in calls)
    for row in rows:
        assert row.cost == (Decimal(row.input_units) * Decimal("0.0001")).quantize(
            Decimal("0.000001")
        )


def test_openai_narration_gets_word_timings_from_a_transcription(openai_provider):
    narration = narrate(voice="onyx")

    assert narration.vendor == "openai" and narration.timings_source == "transcription"
    assert narration.duration == pytest.approx(len(TEXT.split()) * OPENAI_PACE, rel=0.02)
    assert_read_along(narration)
    # the fake recogniser hears token k at k x pace: the text's words got the heard times
    assert narration.words[3]["start"] == pytest.approx(3 * OPENAI_PACE, abs=0.001)
    (call,) = openai_provider.calls("/v1/audio/transcriptions")
    assert call.body["model"] == "whisper-1"
    assert call.body["response_format"] == "verbose_json"
    assert call.body["timestamp_granularities[]"] == "word"
    (row,) = UsageMetric.objects.filter(operation="audio_transcription")
    assert (row.vendor, row.model, row.unit, row.success) == (
        "openai",
        "whisper-1",
        "seconds",
        True,
    )
    assert row.input_units == round(narration.duration)
    assert row.cost == (Decimal(row.input_units) * Decimal("0.0001")).quantize(Decimal("0.000001"))


def test_a_failed_transcription_leaves_estimated_timings_and_the_narration_intact(
    openai_provider,
):
    openai_provider.fail("/v1/audio/transcriptions", times=None, status=500)

    narration = narrate()

    assert narration.vendor == "openai" and narration.timings_source == "estimated"
    assert_read_along(narration)
    assert UsageMetric.objects.get(operation="audio_synthesis").success is True
    assert UsageMetric.objects.get(operation="audio_transcription").success is False


def test_the_offline_voice_has_estimated_timings():
    narration = narrate()

    assert (narration.vendor, narration.timings_source) == ("local", "estimated")
    assert_read_along(narration)


def test_a_vendor_failing_mid_story_hands_the_whole_story_to_the_next_one(
    elevenlabs_provider, openai_provider, settings
):
    # given ElevenLabs first, answering its first piece and then failing
    settings.AI_TTS_PROVIDER_CHAIN = ["elevenlabs", "openai"]
    settings.ELEVENLABS_TTS_INPUT_LIMIT = 600
    settings.AI_TTS_CONCURRENCY = 1
    chain._provider.cache_clear()
    elevenlabs_provider.fail("/v1/text-to-speech/", times=None, status=503, after=1)

    narration = narrate()

    # then OpenAI narrated all of it, in one voice (the whole file is at OpenAI's pace)
    assert narration.vendor == "openai"
    assert [c.status for c in elevenlabs_provider.calls("/v1/text-to-speech/")] == [200, 503]
    assert len(openai_provider.calls("/v1/audio/speech")) == 1
    assert narration.duration == pytest.approx(len(TEXT.split()) * OPENAI_PACE, rel=0.02)
    assert_read_along(narration)
    rows = UsageMetric.objects.filter(operation="audio_synthesis").order_by("created_at")
    assert [(r.vendor, r.success) for r in rows] == [
        ("elevenlabs", True),
        ("elevenlabs", False),
        ("openai", True),
    ]
    # and ElevenLabs is skipped by every process for the cool-down
    assert chain.is_cooling_down("elevenlabs", Capability.SPEAK)


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (500, "", TransientProviderError),
        (429, "too_many_concurrent_requests", TransientProviderError),
        (401, "quota_exceeded", TransientProviderError),  # out of credit: another vendor can
        (401, "invalid_api_key", PermanentProviderError),
        (400, "text_too_long", PermanentProviderError),
    ],
)
def test_elevenlabs_errors_are_transient_or_permanent(elevenlabs_provider, status, code, error):
    elevenlabs_provider.fail("/v1/text-to-speech/", times=None, status=status, code=code)

    with pytest.raises(error):
        narrate(text="Good night, little star.")

    (row,) = UsageMetric.objects.filter(operation="audio_synthesis")
    # an error answer is not billed: metered, at no cost
    assert (row.vendor, row.success, row.input_units, row.cost) == ("elevenlabs", False, 0, 0)
    assert str(status) in row.error


def test_by_default_openai_narrates_until_its_speech_models_shut_down_then_elevenlabs_and_polly(
    settings,
):
    settings.AI_TTS_PROVIDER_CHAIN = []
    settings.AI_PROVIDER_CHAIN = ["openai"]
    today = timezone.now().date()

    settings.ELEVENLABS_API_KEY = ""
    settings.AI_OPENAI_TTS_SHUTDOWN = today + datetime.timedelta(days=1)
    assert chain.speech_provider_names() == ["openai"]
    settings.ELEVENLABS_API_KEY = "xi-key"
    settings.AI_OPENAI_TTS_SHUTDOWN = today + datetime.timedelta(days=1)
    assert chain.speech_provider_names() == ["openai", "elevenlabs"]
    settings.AI_OPENAI_TTS_SHUTDOWN = today
    assert chain.speech_provider_names() == ["elevenlabs", "polly"]
    settings.ELEVENLABS_API_KEY = ""
    assert chain.speech_provider_names() == ["polly"]
    settings.ELEVENLABS_API_KEY = "xi-key"
    # an explicit chain is followed as written
    settings.AI_TTS_PROVIDER_CHAIN = ["openai", "elevenlabs"]
    assert chain.speech_provider_names() == ["openai", "elevenlabs"]
