"""Prices of the narration vendors added with read-along (USD per million units): ElevenLabs per
character of text, OpenAI's transcription (word timings for OpenAI's narration) per second of audio.
Staff check them before launch and change them by adding a row with a later effective date."""

import datetime

from django.db import migrations

EFFECTIVE = datetime.date(2026, 12, 1)
PRICES = [
    # vendor, model, unit, usd_per_million, note
    # ElevenLabs API list prices (June 2026): Multilingual v2/v3 $0.10, Flash/Turbo $0.05 per 1,000
    # characters; the same rate on every plan, plans only bundle more included usage.
    ("elevenlabs", "eleven_multilingual_v2", "character", "100.00", "list price 2026-06"),
    ("elevenlabs", "eleven_v3", "character", "100.00", "list price 2026-06"),
    ("elevenlabs", "eleven_flash_v2_5", "character", "50.00", "list price 2026-06"),
    ("elevenlabs", "eleven_turbo_v2_5", "character", "50.00", "list price 2026-06"),
    # whisper-1: $0.006 a minute of audio, the only OpenAI transcription model with word times.
    ("openai", "whisper-1", "second", "100.00", "list price, seeded"),
]


def seed(apps, schema_editor):
    Price = apps.get_model("usage", "Price")
    for vendor, model, unit, usd, note in PRICES:
        Price.objects.get_or_create(
            vendor=vendor,
            model=model,
            unit=unit,
            effective_from=EFFECTIVE,
            defaults={"usd_per_million": usd, "note": note},
        )


def unseed(apps, schema_editor):
    Price = apps.get_model("usage", "Price")
    for vendor, model, unit, _, _ in PRICES:
        Price.objects.filter(
            vendor=vendor, model=model, unit=unit, effective_from=EFFECTIVE
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("usage", "0004_narration_units")]
    operations = [migrations.RunPython(seed, unseed)]
