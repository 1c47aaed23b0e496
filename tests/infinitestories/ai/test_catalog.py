"""Every model the settings can select is watched and priced: a new model setting without a
price (with its source) fails here, before a story is sold below its cost."""

from decimal import Decimal

import pytest

from infinitestories.ai import catalog
from usage.models import Price

PURPOSES = {"story", "small", "images", "speech", "transcription", "moderation"}


def test_every_purpose_and_vendor_is_in_the_catalog():
    models = catalog.configured_models()

    assert {m.purpose for m in models} == PURPOSES
    assert {m.vendor for m in models} == {"openai", "elevenlabs", "polly"}


@pytest.mark.parametrize("configured", catalog.configured_models(), ids=lambda m: m.setting)
def test_every_selectable_model_has_a_price_with_its_source(configured):
    prices = Price.objects.filter(
        vendor=configured.vendor, model=configured.model, unit__in=configured.price_units
    )

    assert prices.exists(), f"{configured.setting}={configured.model} has no price"
    assert all(p.source and p.source_read_on for p in prices)


def test_every_seeded_price_has_a_source_and_the_day_it_was_read():
    assert not Price.objects.filter(source="").exists()
    assert not Price.objects.filter(source_read_on__isnull=True).exists()


def test_the_corrected_prices_are_the_ones_in_force():
    def price(vendor, model, unit):
        return Price.objects.filter(vendor=vendor, model=model, unit=unit).first().usd_per_million

    assert price("openai", "gpt-5.4-mini", "input_token") == Decimal("0.75")
    assert price("openai", "gpt-5.4-mini", "output_token") == Decimal("4.50")
    assert price("openai", "gpt-image-2", "output_token") == Decimal("30.00")
    assert price("polly", "neural", "character") == Decimal("16.00")
