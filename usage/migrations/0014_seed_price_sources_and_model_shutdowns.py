"""Prices with their sources, three corrections, Amazon Polly's price, each selectable model's
announced shutdown (issue 22; the daily model watch is in infinitestories/schedule.py).

Corrections (the seeded figures disagreed with every source found): gpt-5.4-mini $0.75 input /
$4.50 output per million tokens (was $0.25 / $2.00); gpt-image-2 image output $30 per million
tokens (was $40). They fix the rows in force since 2026-01-01 in place: the figures were never
true, and usage already recorded keeps the cost it was written with.
A source read on a day is written with that day; a figure nobody could trace says so.
"""

import datetime

from django.db import migrations


READ = datetime.date(2026, 12, 7)
SEEDED = datetime.date(2026, 1, 1)
OPENAI_PRICING = "https://platform.openai.com/docs/pricing/"
UNTRACED = "seeded without a recorded source; not yet checked against "

# (vendor, model, unit, effective_from) -> (usd_per_million or None to keep, source, read on)
SOURCES = {
    ("openai", "gpt-5.4", "input_token", SEEDED): (
        None,
        f"{OPENAI_PRICING} as quoted by wavespeed.ai and verdent.ai (June 2026)",
        READ,
    ),
    ("openai", "gpt-5.4", "output_token", SEEDED): (
        None,
        f"{OPENAI_PRICING} as quoted by wavespeed.ai and verdent.ai (June 2026)",
        READ,
    ),
    ("openai", "gpt-5.4-mini", "input_token", SEEDED): (
        "0.75",
        f"{OPENAI_PRICING} as quoted by verdent.ai (verified June 2026), wavespeed.ai, "
        "kissapi.ai; corrected from 0.25",
        READ,
    ),
    ("openai", "gpt-5.4-mini", "output_token", SEEDED): (
        "4.50",
        f"{OPENAI_PRICING} as quoted by verdent.ai (verified June 2026), wavespeed.ai, "
        "kissapi.ai; corrected from 2.00",
        READ,
    ),
    ("openai", "gpt-image-2", "output_token", SEEDED): (
        "30.00",
        "third-party reports cited in issue 22 ($30 per million image output tokens); "
        f"corrected from 40.00; confirm at {OPENAI_PRICING}",
        READ,
    ),
    ("elevenlabs", "eleven_multilingual_v2", "character", datetime.date(2026, 12, 1)): (
        None,
        "https://elevenlabs.io/pricing/api (list price 2026-06, from the seeding note); "
        "not verified against a live account",
        datetime.date(2026, 6, 1),
    ),
    ("openai", "whisper-1", "second", datetime.date(2026, 12, 1)): (
        None,
        f"{OPENAI_PRICING} ($0.006 a minute), from the seeding note",
        datetime.date(2026, 12, 1),
    ),
}

# Polly bills per character; the audio and the speech marks are two requests, each billed.
POLLY = [
    (
        "neural",
        "16.00",
        "https://aws.amazon.com/polly/pricing/ as quoted by acecloudinterviews.com "
        "(standard $4, neural $16, long-form $100, generative $30 per million characters)",
    ),
    ("standard", "4.00", "https://aws.amazon.com/polly/pricing/ (same quote)"),
    ("generative", "30.00", "https://aws.amazon.com/polly/pricing/ (same quote)"),
]

TTS_GUIDE = "OpenAI text-to-speech guide (stored copy), docs/ai-vendors.md"
DEPRECATIONS = (
    "OpenAI deprecations page (stored copy); AssemblyAI and developersdigest posts, Oct-Nov 2026"
)
NONE_ANNOUNCED = "no shutdown announced on the OpenAI deprecations page (stored copy)"
# (vendor, model) -> (shutdown_on, replacement, source)
SHUTDOWNS = {
    ("openai", "gpt-4o-mini-tts-2025-12-15"): (
        datetime.date(2027, 1, 6),
        "none on /v1/audio/speech (ElevenLabs, then Amazon Polly)",
        TTS_GUIDE,
    ),
    ("openai", "gpt-4o-mini-tts"): (datetime.date(2027, 1, 6), "none on /v1/audio/speech", TTS_GUIDE),
    ("openai", "tts-1"): (datetime.date(2027, 1, 6), "none on /v1/audio/speech", TTS_GUIDE),
    ("openai", "tts-1-hd"): (datetime.date(2027, 1, 6), "none on /v1/audio/speech", TTS_GUIDE),
    ("openai", "whisper-1"): (
        datetime.date(2027, 2, 26),
        "a transcription model without word timestamps (timings from the narration vendor)",
        DEPRECATIONS,
    ),
    ("openai", "gpt-4o-transcribe"): (datetime.date(2027, 2, 26), "", DEPRECATIONS),
    ("openai", "gpt-4o-mini-transcribe"): (datetime.date(2027, 2, 26), "", DEPRECATIONS),
    ("openai", "gpt-5.4"): (None, "", NONE_ANNOUNCED),
    ("openai", "gpt-5.4-mini"): (None, "", NONE_ANNOUNCED),
    ("openai", "gpt-image-2"): (None, "", NONE_ANNOUNCED),
    ("openai", "omni-moderation-latest"): (None, "", NONE_ANNOUNCED),
    ("elevenlabs", "eleven_multilingual_v2"): (
        None,
        "",
        "no deprecation listed in ElevenLabs' models docs (not verified against an account)",
    ),
    ("polly", "neural"): (None, "", "Amazon Polly neural engine: no end announced"),
}



def seed(apps, schema_editor):
    Price = apps.get_model("usage", "Price")
    for (vendor, model, unit, effective), (usd, source, read) in SOURCES.items():
        changes = {"source": source, "source_read_on": read}
        if usd is not None:
            changes["usd_per_million"] = usd
        Price.objects.filter(
            vendor=vendor, model=model, unit=unit, effective_from=effective
        ).update(**changes)
    # Everything else seeded so far: say that nobody traced it.
    for price in Price.objects.filter(source=""):
        where = OPENAI_PRICING if price.vendor == "openai" else "the vendor's price page"
        price.source = f"{price.note or 'seeded'}; {UNTRACED}{where}"[:300]
        price.source_read_on = price.effective_from
        price.save(update_fields=["source", "source_read_on"])
    for engine, usd, source in POLLY:
        Price.objects.get_or_create(
            vendor="polly",
            model=engine,
            unit="character",
            effective_from=READ,
            defaults={
                "usd_per_million": usd,
                "note": "Polly list price",
                "source": source,
                "source_read_on": READ,
            },
        )
    ModelLifecycle = apps.get_model("usage", "ModelLifecycle")
    for (vendor, model), (shutdown_on, replacement, source) in SHUTDOWNS.items():
        ModelLifecycle.objects.get_or_create(
            vendor=vendor,
            model=model,
            defaults={
                "shutdown_on": shutdown_on,
                "replacement": replacement,
                "source": source,
                "source_read_on": READ,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("usage", "Price").objects.filter(vendor="polly", effective_from=READ).delete()
    apps.get_model("usage", "ModelLifecycle").objects.filter(
        vendor__in={v for v, _ in SHUTDOWNS}, model__in={m for _, m in SHUTDOWNS}
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0013_price_sources_model_lifecycle"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
