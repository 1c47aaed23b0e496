"""The admin shows each configured model's days left on the dashboard, the shutdown table and the
prices with their sources, and staff can edit a shutdown date."""

import datetime
import re

from django.utils import timezone

from usage.models import ModelLifecycle


def test_the_dashboard_lists_each_configured_model_with_its_days_left(staff_browser, settings):
    page = staff_browser.get("/admin/").content.decode()

    panel = page[page.index('id="models-panel"') :]
    today = timezone.localdate()
    speech = re.search(
        r'data-model-watch="openai/gpt-4o-mini-tts-2025-12-15">.*?data-figure="days-left">([^<]*)<',
        panel,
    )
    expected = (datetime.date(2027, 1, 6) - today).days
    assert speech.group(1) == (str(expected) if expected >= 0 else "past")
    for vendor, model in [
        ("openai", settings.AI_STORY_MODEL),
        ("openai", settings.AI_SMALL_MODEL),
        ("openai", settings.AI_IMAGE_MODEL),
        ("openai", settings.AI_TRANSCRIPTION_MODEL),
        ("openai", settings.AI_MODERATION_MODEL),
        ("elevenlabs", settings.ELEVENLABS_TTS_MODEL),
        ("polly", settings.POLLY_ENGINE),
    ]:
        assert f'data-model-watch="{vendor}/{model}"' in panel
    story = re.search(
        r'data-model-watch="openai/gpt-5.4">.*?data-figure="days-left">([^<]*)<', panel
    )
    assert story.group(1) == "\N{EN DASH}"  # no shutdown announced


def test_staff_edit_a_shutdown_date_and_the_dashboard_counts_down_to_it(staff_browser):
    row = ModelLifecycle.objects.get(vendor="openai", model="gpt-5.4")
    day = timezone.localdate() + datetime.timedelta(days=45)

    response = staff_browser.post(
        f"/admin/usage/modellifecycle/{row.pk}/change/",
        {
            "vendor": "openai",
            "model": "gpt-5.4",
            "shutdown_on": day.isoformat(),
            "replacement": "gpt-5.5",
            "source": "OpenAI deprecations page",
            "source_read_on": timezone.localdate().isoformat(),
            "note": "",
            "alerts_sent": "[]",
        },
    )

    assert response.status_code == 302
    page = staff_browser.get("/admin/").content.decode()
    found = re.search(r'data-model-watch="openai/gpt-5.4">.*?data-figure="days-left">(\d+)<', page)
    assert found.group(1) == "45"


def test_the_shutdown_table_and_the_prices_show_their_sources(staff_browser):
    shutdowns = staff_browser.get("/admin/usage/modellifecycle/").content.decode()
    prices = staff_browser.get("/admin/usage/price/?vendor__exact=polly").content.decode()

    assert "text-to-speech guide" in shutdowns and "Jan. 6, 2027" in shutdowns
    assert "aws.amazon.com/polly/pricing" in prices and "16.0000" in prices
