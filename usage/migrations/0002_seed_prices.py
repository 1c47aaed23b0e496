"""List prices (USD per million units) in force when this was written; staff edit them in the admin
by adding a row with a later effective date."""

import datetime

from django.db import migrations

EFFECTIVE = datetime.date(2026, 1, 1)
PRICES = [
    # model, unit, usd_per_million
    ("gpt-5.4", "input_token", "2.50"),
    ("gpt-5.4", "output_token", "15.00"),
    ("gpt-5.4-mini", "input_token", "0.25"),
    ("gpt-5.4-mini", "output_token", "2.00"),
    ("gpt-4o", "input_token", "2.50"),
    ("gpt-4o", "output_token", "10.00"),
    ("gpt-4o-mini", "input_token", "0.15"),
    ("gpt-4o-mini", "output_token", "0.60"),
    # Speech is billed per character of input (about $0.015 a minute of audio).
    ("gpt-4o-mini-tts-2025-12-15", "character", "15.00"),
    ("gpt-4o-mini-tts", "character", "15.00"),
    ("tts-1", "character", "15.00"),
    ("tts-1-hd", "character", "30.00"),
    # GPT image models report tokens; the per-image price is the fallback when they do not.
    ("gpt-image-2", "input_token", "5.00"),
    ("gpt-image-2", "output_token", "40.00"),
    ("gpt-image-2", "image", "40000.00"),
    ("gpt-image-1.5", "input_token", "5.00"),
    ("gpt-image-1.5", "output_token", "40.00"),
    ("gpt-image-1.5", "image", "40000.00"),
    ("gpt-image-1-mini", "input_token", "2.00"),
    ("gpt-image-1-mini", "output_token", "8.00"),
    ("gpt-image-1-mini", "image", "11000.00"),
    ("omni-moderation-latest", "character", "0"),
]


def seed(apps, schema_editor):
    Price = apps.get_model("usage", "Price")
    for model, unit, usd in PRICES:
        Price.objects.get_or_create(
            vendor="openai",
            model=model,
            unit=unit,
            effective_from=EFFECTIVE,
            defaults={"usd_per_million": usd, "note": "list price, seeded"},
        )


def unseed(apps, schema_editor):
    apps.get_model("usage", "Price").objects.filter(effective_from=EFFECTIVE).delete()


class Migration(migrations.Migration):
    dependencies = [("usage", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
