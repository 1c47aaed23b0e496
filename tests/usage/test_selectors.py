"""usage.selectors.cost_estimate: what admitted narration reserves covers everything it may buy."""

from decimal import Decimal

import pytest

from infinitestories.ai import chain
from usage.models import Plan
from usage.selectors import cost_estimate, usage_cost

CHARACTERS = 6_000


@pytest.fixture
def vendors(settings):
    settings.OPENAI_API_KEY = "sk-test"
    settings.ELEVENLABS_API_KEY = "xi-test"
    settings.AI_PROVIDER_CHAIN = ["openai"]
    chain._provider.cache_clear()
    yield settings
    chain._provider.cache_clear()


def narration_estimate() -> Decimal:
    return cost_estimate(operation="audio_synthesis", plan=Plan(), characters=CHARACTERS)


def speech_cost(vendor: str, model: str) -> Decimal:
    return usage_cost(
        vendor=vendor, model=model, unit="characters", input_units=CHARACTERS, output_units=0
    )


def test_narration_reserves_the_dearest_vendor_it_may_fall_over_to(vendors):
    # given OpenAI first and ElevenLabs (about 6.7 times dearer) as the fallback
    vendors.AI_TTS_PROVIDER_CHAIN = ["openai", "elevenlabs"]

    estimate = narration_estimate()

    elevenlabs = speech_cost("elevenlabs", vendors.ELEVENLABS_TTS_MODEL)
    assert elevenlabs > speech_cost("openai", vendors.AI_TTS_MODEL) > 0
    assert estimate == elevenlabs


def test_narration_reserves_its_read_along_transcription(vendors):
    # given OpenAI's speech, whose word timings come from a transcription (priced per second)
    vendors.AI_TTS_PROVIDER_CHAIN = ["openai"]

    estimate = narration_estimate()

    speech = speech_cost("openai", vendors.AI_TTS_MODEL)
    seconds = CHARACTERS // 15 + 2  # two pieces, each billed in whole seconds
    transcription = usage_cost(
        vendor="openai",
        model=vendors.AI_TRANSCRIPTION_MODEL,
        unit="seconds",
        input_units=seconds,
        output_units=0,
    )
    assert transcription > 0
    assert estimate == speech + transcription


def test_narration_without_transcription_reserves_the_speech_alone(vendors):
    vendors.AI_TTS_PROVIDER_CHAIN = ["openai"]
    vendors.AI_TTS_TRANSCRIBE = False

    assert narration_estimate() == speech_cost("openai", vendors.AI_TTS_MODEL)
