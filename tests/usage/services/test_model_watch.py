# ruff: noqa: F811 - the fake-vendor fixtures are imported, then asked for by name
"""The shutdown watch: the seeded table of announced shutdowns, the daily job reading the
vendors' model lists (the real SDKs against the fake vendors), staff e-mails at 60, 30 and 7
days and at once for a vanished or not-found model, and production's warning at boot."""

import datetime
import logging

import pytest
from django.core import mail
from django.utils import timezone

from infinitestories.ai import chain
from infinitestories.ai.base import ModerationRequest
from infinitestories.ai.errors import PermanentProviderError
from tests.accounts.factories import UserFactory
from tests.fakes.fixtures import (  # noqa: F401
    elevenlabs_provider,
    fake_elevenlabs,
    fake_openai,
    fake_polly,
    openai_provider,
    polly_provider,
)
from usage.models import ModelLifecycle
from usage.services import model_watch

TODAY = datetime.date(2026, 12, 7)


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, email="ops@example.com")


@pytest.fixture
def vendors(openai_provider, elevenlabs_provider, polly_provider, settings):
    """Every vendor's model list readable: OpenAI's, ElevenLabs' and Polly's fakes."""
    return openai_provider


def test_the_seeded_table_names_openais_speech_and_transcription_shutdowns_with_sources():
    rows = {(r.vendor, r.model): r for r in ModelLifecycle.objects.all()}

    speech = rows[("openai", "gpt-4o-mini-tts-2025-12-15")]
    assert speech.shutdown_on == datetime.date(2027, 1, 6)
    assert "text-to-speech guide" in speech.source and speech.source_read_on
    assert rows[("openai", "whisper-1")].shutdown_on == datetime.date(2027, 2, 26)
    assert rows[("openai", "tts-1")].shutdown_on == datetime.date(2027, 1, 6)
    assert all(row.source and row.source_read_on for row in rows.values())


def test_the_watch_records_openais_shutdown_dates_and_flags_a_vanished_model_at_once(
    vendors, fake_openai, staff, django_capture_on_commit_callbacks
):
    # given OpenAI listing gpt-5.4 with a shutdown date, and gpt-5.4-mini gone from the list
    fake_openai.models = [
        {"id": "gpt-5.4", "shutdown_date": 1806537600},  # 2027-04-01 as a Unix time
        {"id": "gpt-image-2"},
        {"id": "omni-moderation-latest"},
        {"id": "gpt-4o-mini-tts-2025-12-15", "shutdown_date": "2027-01-06"},
        {"id": "whisper-1", "shutdown_date": "2027-02-26"},
    ]

    with django_capture_on_commit_callbacks(execute=True):
        done = model_watch.model_watch_run(today=TODAY)

    rows = {(r.vendor, r.model): r for r in ModelLifecycle.objects.all()}
    story = rows[("openai", "gpt-5.4")]
    assert (story.listed, story.shutdown_on) == (True, datetime.date(2027, 4, 1))
    assert story.source.startswith("openai model list") and story.source_read_on == TODAY
    small = rows[("openai", "gpt-5.4-mini")]
    assert small.listed is False and small.vanished_at is not None
    assert rows[("elevenlabs", "eleven_multilingual_v2")].listed is True
    assert rows[("polly", "neural")].listed is True
    assert rows[("polly", "neural")].check_error == ""
    assert fake_openai.calls("/v1/models")
    # one mail for the vanished model; the 2027-01-06 speech model is 30 days off: one mail
    assert done == {"vanished": 1, "alerts": 1}
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "[InfiniteStories] openai/gpt-4o-mini-tts-2025-12-15 shuts down 2027-01-06",
        "[InfiniteStories] openai/gpt-5.4-mini is gone from openai's model list",
    ]
    assert all(m.to == ["ops@example.com"] for m in mail.outbox)

    # the next day: nothing new to say
    with django_capture_on_commit_callbacks(execute=True):
        model_watch.model_watch_run(today=TODAY + datetime.timedelta(days=1))
    assert len(mail.outbox) == 2


def test_an_unreadable_list_is_recorded_and_the_other_vendors_still_checked(
    vendors, fake_openai, fake_polly
):
    fake_openai.fail("/v1/models", times=None, status=500)

    model_watch.model_watch_run(today=TODAY)

    story = ModelLifecycle.objects.get(vendor="openai", model="gpt-5.4")
    assert story.listed is None and "unreadable" in story.check_error
    assert ModelLifecycle.objects.get(vendor="polly", model="neural").listed is True


def test_a_polly_voice_of_the_voice_table_no_longer_offered_is_flagged(vendors, fake_polly):
    fake_polly.models = [{"id": "Joanna", "engines": ["neural"]}]

    model_watch.model_watch_run(today=TODAY)

    row = ModelLifecycle.objects.get(vendor="polly", model="neural")
    assert row.listed is True
    assert "Lea" in row.check_error and "Joanna" not in row.check_error


def test_staff_hear_once_at_60_30_and_7_days_before_a_configured_models_shutdown(
    staff, settings, django_capture_on_commit_callbacks
):
    ModelLifecycle.objects.filter(vendor="openai", model=settings.AI_STORY_MODEL).update(
        shutdown_on=datetime.date(2027, 6, 1), source="a test"
    )
    ModelLifecycle.objects.exclude(model=settings.AI_STORY_MODEL).update(shutdown_on=None)
    shutdown = datetime.date(2027, 6, 1)

    sent = {}
    for days in (61, 60, 59, 31, 30, 8, 7, 6, 0, -3):
        with django_capture_on_commit_callbacks(execute=True):
            sent[days] = model_watch.model_shutdown_alerts_send(
                today=shutdown - datetime.timedelta(days=days)
            )

    assert {days: alerts for days, alerts in sent.items() if alerts} == {
        60: [("openai/gpt-5.4", 60)],
        30: [("openai/gpt-5.4", 30)],
        7: [("openai/gpt-5.4", 7)],
    }
    assert [m.subject for m in mail.outbox] == [
        "[InfiniteStories] openai/gpt-5.4 shuts down 2027-06-01"
    ] * 3
    assert "AI_STORY_MODEL selects openai/gpt-5.4 (story)" in mail.outbox[0].body
    assert "in 60 days" in mail.outbox[0].body and "in 7 days" in mail.outbox[2].body


def test_a_model_not_found_answer_emails_staff_at_once_and_once_a_day(
    openai_provider,
    staff,
    settings,
):
    settings.AI_MODERATION_MODEL = "omni-moderation-gone"
    openai_provider.fail("/v1/moderations", times=None, status=404, code="model_not_found")
    ctx = chain.CallContext(operation="moderation")

    for _ in range(2):
        with pytest.raises(PermanentProviderError):
            chain.call(ctx=ctx, request=ModerationRequest(text="hello"))

    row = ModelLifecycle.objects.get(vendor="openai", model="omni-moderation-gone")
    assert row.not_found_at is not None
    assert [m.subject for m in mail.outbox] == [
        "[InfiniteStories] AI model not found: openai/omni-moderation-gone"
    ]
    assert "AI_MODERATION_MODEL" in mail.outbox[0].body


def test_production_warns_at_boot_of_a_configured_model_past_its_date(settings, caplog):
    settings.DEBUG = False
    settings.AI_TTS_MODEL = "tts-1"
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ModelLifecycle.objects.filter(model="tts-1").update(shutdown_on=yesterday)

    with caplog.at_level(logging.WARNING, logger="usage.services.model_watch"):
        chain.providers_warm_up()

    warnings = [r.getMessage() for r in caplog.records if r.name == "usage.services.model_watch"]
    speech = [w for w in warnings if w.startswith("AI_TTS_MODEL")]
    assert speech == [
        f"AI_TTS_MODEL selects openai/tts-1, shut down since {yesterday} "
        "(replacement: none on /v1/audio/speech)"
    ]
    # the other configured models are before their dates (or, past 2027-02-26, whisper-1 too)
    assert all(w.startswith("AI_TRANSCRIPTION_MODEL") for w in warnings if w not in speech)


def test_no_warning_at_boot_while_every_configured_model_is_before_its_date(settings, caplog):
    with caplog.at_level(logging.WARNING, logger="usage.services.model_watch"):
        past = model_watch.model_shutdowns_warn(today=datetime.date(2027, 1, 5))

    assert past == [] and not caplog.records
