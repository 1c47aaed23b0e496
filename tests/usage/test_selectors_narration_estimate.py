"""Admission prices a narration at the vendor that narrates first: Polly's estimate counts the
text twice (audio and word marks are each billed), so a ceiling holds with Polly narrating."""

from decimal import Decimal

from infinitestories.ai import chain
from infinitestories.ai.base import Operation
from usage.models import Plan
from usage.selectors import cost_estimate


def test_polly_narration_is_estimated_at_twice_its_characters(settings):
    settings.AI_TTS_PROVIDER_CHAIN = ["polly"]
    chain._provider.cache_clear()

    estimate = cost_estimate(
        operation=Operation.AUDIO_SYNTHESIS, plan=Plan.objects.get(code="free"), characters=5_000
    )

    assert estimate == Decimal(2 * 5_000) * Decimal("16") / Decimal(1_000_000)


def test_elevenlabs_narration_is_estimated_at_its_characters(settings):
    settings.AI_TTS_PROVIDER_CHAIN = ["elevenlabs"]
    chain._provider.cache_clear()

    estimate = cost_estimate(
        operation=Operation.AUDIO_SYNTHESIS, plan=Plan.objects.get(code="free"), characters=5_000
    )

    assert estimate == Decimal(5_000) * Decimal("100") / Decimal(1_000_000)
