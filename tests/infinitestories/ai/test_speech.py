"""Read-along never rests on whisper past its shutdown: OpenAI's narration is transcribed for
its word timings only before AI_OPENAI_TRANSCRIPTION_SHUTDOWN (2027-02-26); from that day its
timings are estimated and no transcription request is made."""

import datetime

import pytest
from django.utils import timezone

from infinitestories.ai import chain, speech
from usage.models import UsageMetric

TEXT = "The Moon Who Smiled.\n\nMia tiptoed to the window. The moon was smiling at her."


def narrate_on(day: datetime.date, monkeypatch) -> speech.Narration:
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(20)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    ctx = chain.CallContext(operation="audio_synthesis", story_id="story_x")
    return speech.narration_synthesize(ctx=ctx, text=TEXT, voice="nova")


@pytest.mark.parametrize(
    ("day", "transcribed"),
    [(datetime.date(2027, 2, 25), True), (datetime.date(2027, 2, 26), False)],
)
def test_openai_narration_is_transcribed_only_before_whisper_shuts_down(
    openai_provider, settings, monkeypatch, day, transcribed
):
    # OpenAI narrating on purpose (an explicit chain), transcription switched on
    settings.AI_TTS_PROVIDER_CHAIN = ["openai"]
    settings.AI_TTS_TRANSCRIBE = True

    narration = narrate_on(day, monkeypatch)

    assert narration.vendor == "openai"
    assert len(openai_provider.calls("/v1/audio/transcriptions")) == int(transcribed)
    assert narration.timings_source == ("transcription" if transcribed else "estimated")
    assert len(narration.words) == 15
    assert UsageMetric.objects.filter(operation="audio_transcription").exists() == transcribed
