"""Amazon Polly narrates through the real boto3 client against a fake Polly on loopback: the
voice of the story's language, pieces within Polly's limit, word timings from its speech marks
(byte offsets mapped back to the story's words), metered and priced; its errors are transient
or permanent; and a vendor failing mid-story hands the whole story to Polly."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from infinitestories.ai import chain, speech, timings
from infinitestories.ai.audio_files import mp3_duration
from infinitestories.ai.errors import PermanentProviderError, TransientProviderError
from tests.fakes.polly_server import SECONDS_PER_WORD as POLLY_PACE
from usage.models import UsageMetric

PARAGRAPH = (
    "Mia tiptoed to the window. The moon, round and silver, was smiling at her! "
    "“Good night, Moon,” she whispered — and the stars blinked twice. "
)
TEXT = "The Moon Who Smiled.\n\n" + PARAGRAPH * 12  # about 1,700 characters
# Accents and a ß: Polly's offsets count UTF-8 bytes, the app's words count characters.
GERMAN = "Größe über Träume. Lea lächelt, schläft ein — und träumt weiter."


def narrate(text: str = TEXT, voice: str = "nova", language: str = "en") -> speech.Narration:
    ctx = chain.CallContext(operation="audio_synthesis", story_id="story_x")
    return speech.narration_synthesize(ctx=ctx, text=text, voice=voice, language=language)


def assert_read_along(narration: speech.Narration, text: str) -> None:
    words = narration.words
    assert [w["text"] for w in words] == [s.text for s in timings.spoken_words(text)]
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    assert all(0 <= w["start"] <= w["end"] <= narration.duration for w in words)


def test_polly_narrates_in_pieces_within_its_limit_with_speech_mark_timings(
    polly_provider, settings
):
    settings.POLLY_TTS_INPUT_LIMIT = 600
    chain._provider.cache_clear()

    narration = narrate(voice="fable")

    calls = polly_provider.calls("/v1/speech")
    audio = [c for c in calls if c.body["OutputFormat"] == "mp3"]
    marks = [c for c in calls if c.body["OutputFormat"] == "json"]
    # three pieces, each asked twice (audio, then word marks of the very same text)
    assert len(audio) == len(marks) == 3
    assert sorted(c.body["Text"] for c in audio) == sorted(c.body["Text"] for c in marks)
    assert all(len(c.body["Text"]) <= 600 for c in calls)
    assert all(c.body["SpeechMarkTypes"] == ["word"] for c in marks)
    # "fable" is a man's voice: English's calm neural man
    assert {(c.body["VoiceId"], c.body["Engine"]) for c in calls} == {("Matthew", "neural")}
    assert narration.vendor == "polly" and narration.pieces == 3
    assert narration.duration == pytest.approx(len(TEXT.split()) * POLLY_PACE, rel=0.02)
    assert narration.duration == pytest.approx(mp3_duration(narration.audio), abs=0.01)
    assert narration.timings_source == "vendor"
    assert_read_along(narration, TEXT)
    # the vendor's own times: token k of a piece starts at k x pace, shifted by earlier pieces
    assert narration.words[3]["start"] == pytest.approx(3 * POLLY_PACE, abs=0.001)
    (first,) = [c for c in audio if c.body["Text"].startswith("The Moon Who Smiled.")]
    spoken_in_first = len(timings.spoken_words(first.body["Text"]))
    first_length = len(first.body["Text"].split()) * POLLY_PACE
    assert narration.words[spoken_in_first]["start"] == pytest.approx(first_length, abs=0.05)
    # one usage row a piece, both requests' characters, at Polly neural's $16 per million
    rows = UsageMetric.objects.filter(operation="audio_synthesis")
    assert {(r.vendor, r.model, r.unit, r.success) for r in rows} == {
        ("polly", "neural", "characters", True)
    }
    assert sum(r.input_units for r in rows) == 2 * sum(len(c.body["Text"]) for c in audio)
    for row in rows:
        assert row.cost == (Decimal(row.input_units) * Decimal("0.000016")).quantize(
            Decimal("0.000001")
        )


@pytest.mark.parametrize(
    ("language", "voice", "expected"),
    [
        ("en", "nova", "Joanna"),
        ("es", "shimmer", "Lucia"),
        ("es", "onyx", "Sergio"),
        ("fr", "coral", "Lea"),
        ("fr", "echo", "Remi"),
        ("de", "alloy", "Vicki"),
        ("de", "fable", "Daniel"),
        ("it", "nova", "Bianca"),
        ("it", "onyx", "Adriano"),
    ],
)
def test_the_story_language_picks_a_polly_voice_of_that_language(
    polly_provider, language, voice, expected
):
    narrate(text="Buona notte, piccola stella.", voice=voice, language=language)

    assert {c.body["VoiceId"] for c in polly_provider.calls("/v1/speech")} == {expected}


def test_speech_mark_byte_offsets_map_back_to_words_with_accents(polly_provider):
    narration = narrate(text=GERMAN, voice="nova", language="de")

    assert_read_along(narration, GERMAN)
    # each word at its token's slot: "über" is token 1, "Lea" token 3, "schläft" token 5
    by_word = {w["text"]: w["start"] for w in narration.words}
    assert by_word["über"] == pytest.approx(1 * POLLY_PACE, abs=0.001)
    assert by_word["Lea"] == pytest.approx(3 * POLLY_PACE, abs=0.001)
    assert by_word["schläft"] == pytest.approx(5 * POLLY_PACE, abs=0.001)
    # "—" has no mark: "und" still starts at its own slot
    assert by_word["und"] == pytest.approx(8 * POLLY_PACE, abs=0.001)


def test_marks_that_do_not_fit_the_text_give_estimated_timings():
    assert timings.words_from_marks(text="Hello there.", marks=[(0, 99, 0.0)], duration=1) is None
    assert timings.words_from_marks(text="Hello there.", marks=[], duration=1.0) is None


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (500, "ServiceFailureException", TransientProviderError),
        (400, "ThrottlingException", TransientProviderError),
        (400, "TextLengthExceededException", PermanentProviderError),
        (403, "AccessDeniedException", PermanentProviderError),
    ],
)
def test_polly_errors_are_transient_or_permanent(polly_provider, status, code, error):
    polly_provider.fail("/v1/speech", times=None, status=status, code=code)

    with pytest.raises(error):
        narrate(text="Good night, little star.")

    (row,) = UsageMetric.objects.filter(operation="audio_synthesis")
    # an error Polly answered is not billed: nothing counts against the family (ai.metering)
    assert (row.vendor, row.success, row.input_units, row.cost) == ("polly", False, 0, 0)
    assert code in row.error


def test_marks_failing_after_the_audio_meter_the_audio_characters(polly_provider):
    # the audio answers, its word marks fail: the audio was billed, the call failed
    polly_provider.fail("/v1/speech", times=None, status=500, after=1)

    with pytest.raises(TransientProviderError):
        narrate(text="Good night, little star.")

    (row,) = UsageMetric.objects.filter(operation="audio_synthesis")
    assert (row.vendor, row.success, row.input_units) == ("polly", False, 24)
    assert row.cost > 0


def test_elevenlabs_failing_mid_story_hands_the_whole_story_to_polly(
    elevenlabs_provider, polly_provider, settings
):
    # given the chain of 2027: ElevenLabs, then Polly; ElevenLabs answers one piece then fails
    settings.AI_TTS_PROVIDER_CHAIN = ["elevenlabs", "polly"]
    settings.ELEVENLABS_TTS_INPUT_LIMIT = 600
    settings.AI_TTS_CONCURRENCY = 1
    chain._provider.cache_clear()
    elevenlabs_provider.fail("/v1/text-to-speech/", times=None, status=503, after=1)

    narration = narrate(language="fr")

    # then Polly narrated all of it in one voice, French's, at its own pace with its own timings
    assert narration.vendor == "polly" and narration.timings_source == "vendor"
    assert [c.status for c in elevenlabs_provider.calls("/v1/text-to-speech/")] == [200, 503]
    assert {c.body["VoiceId"] for c in polly_provider.calls("/v1/speech")} == {"Lea"}
    assert narration.duration == pytest.approx(len(TEXT.split()) * POLLY_PACE, rel=0.02)
    assert_read_along(narration, TEXT)
    rows = UsageMetric.objects.filter(operation="audio_synthesis").order_by("created_at")
    assert [(r.vendor, r.success) for r in rows] == [
        ("elevenlabs", True),
        ("elevenlabs", False),
        ("polly", True),
    ]


def test_polly_alone_narrates_by_default_after_openai_speech_shuts_down(
    polly_provider, openai_provider, settings, monkeypatch
):
    # given the default chain (OpenAI, no ElevenLabs key) on 2027-01-10
    settings.AI_TTS_PROVIDER_CHAIN = []
    settings.ELEVENLABS_API_KEY = ""
    later = timezone.make_aware(datetime.datetime(2027, 1, 10, 20, 0))
    monkeypatch.setattr(timezone, "now", lambda: later)

    narration = narrate()

    assert narration.vendor == "polly" and narration.timings_source == "vendor"
    assert not openai_provider.calls("/v1/audio/")
