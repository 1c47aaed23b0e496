from decimal import Decimal

import pytest
from django.utils import timezone

from tests.accounts.factories import UserFactory
from tests.usage.factories import set_quota
from usage.models import Price, UsageMetric, quota_period_current
from usage.selectors import usage_cost
from usage.services import monthly_quota_reset, usage_record


def test_seeded_prices_give_costs_per_token_character_and_image():
    assert usage_cost(
        vendor="openai", model="gpt-5.4", unit="tokens", input_units=1_000_000, output_units=100_000
    ) == Decimal("4.00")
    assert usage_cost(
        vendor="openai", model="tts-1", unit="characters", input_units=1000, output_units=0
    ) == Decimal("0.015")
    assert usage_cost(
        vendor="openai", model="gpt-image-2", unit="images", input_units=0, output_units=2
    ) == Decimal("0.08")
    assert (
        usage_cost(
            vendor="local", model="local-1", unit="tokens", input_units=500, output_units=500
        )
        == 0
    )


def test_a_newer_price_applies_from_its_date_only():
    Price.objects.create(
        model="tts-1",
        unit="character",
        usd_per_million="20",
        effective_from=timezone.localdate() + timezone.timedelta(days=1),
    )
    assert usage_cost(
        vendor="openai", model="tts-1", unit="characters", input_units=1000, output_units=0
    ) == Decimal("0.015")
    Price.objects.create(
        model="tts-1", unit="character", usd_per_million="20", effective_from=timezone.localdate()
    )
    assert usage_cost(
        vendor="openai", model="tts-1", unit="characters", input_units=1000, output_units=0
    ) == Decimal("0.02")


def _row(user, operation, **kw):
    defaults = dict(
        vendor="openai",
        model="gpt-5.4",
        unit="tokens",
        input_units=1000,
        output_units=1000,
        usage_reported=True,
        latency_ms=5,
        success=True,
        story_id="story_1",
    )
    defaults.update(kw)
    return usage_record(user_id=user.pk, operation=operation, **defaults)


def test_user_usage_endpoint_summarises_the_period(user, auth_client, other_user):
    _row(user, "story_generation")
    _row(
        user,
        "moderation",
        model="omni-moderation-latest",
        unit="characters",
        input_units=100,
        output_units=0,
    )
    _row(
        user, "audio_synthesis", model="tts-1", unit="characters", input_units=1000, output_units=0
    )
    _row(
        user, "image_generation", model="gpt-image-2", unit="images", input_units=0, output_units=1
    )
    _row(
        user,
        "image_generation",
        model="gpt-image-2",
        unit="images",
        input_units=0,
        output_units=1,
        success=False,
    )
    old = _row(user, "story_generation", story_id="story_old")
    UsageMetric.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=70)
    )
    _row(other_user, "story_generation")
    set_quota(user, used=5)

    body = auth_client.get("/api/user/usage").json()

    assert body["period"] == "current_month"
    assert body["summary"]["storiesGenerated"] == 1
    assert body["summary"]["audioGenerated"] == 1
    assert body["summary"]["imagesGenerated"] == 1
    assert body["summary"]["totalTokensUsed"] == 2000
    assert body["summary"]["totalCost"] == pytest.approx(0.0175 + 0.015 + 0.08)
    story = next(b for b in body["breakdown"] if b["operation"] == "story_generation")
    assert story == {
        "operation": "story_generation",
        "count": 1,
        "cost": 0.0175,
        "tokensUsed": 2000,
    }
    audio = next(b for b in body["breakdown"] if b["operation"] == "audio_synthesis")
    assert audio["tokensUsed"] is None
    assert body["limits"] == {
        "storiesUsed": 5,
        "storiesLimit": 10,
        "percentage": 50,
        "alert": None,
    }
    all_time = auth_client.get("/api/user/usage?period=all_time").json()
    assert all_time["summary"]["storiesGenerated"] == 2
    assert auth_client.get("/api/user/usage?period=forever").status_code == 400


def test_usage_requires_sign_in(client):
    assert client.get("/api/user/usage").status_code == 401


def _last_month():
    return (quota_period_current() - timezone.timedelta(days=1)).replace(day=1)


def test_monthly_reset_starts_a_new_month_for_everyone_whose_month_is_over():
    old = [set_quota(UserFactory(), used=n, period_start=_last_month()) for n in (3, 10)]
    current = set_quota(UserFactory(), used=4)

    assert monthly_quota_reset() == 2
    assert monthly_quota_reset() == 0  # idempotent: beat may run it every day
    for quota in old:
        quota.refresh_from_db()
        assert (quota.stories_used, quota.period_start) == (0, quota_period_current())
    current.refresh_from_db()
    assert current.stories_used == 4


def test_a_missed_reset_reads_as_a_new_month_at_once(user, auth_client):
    set_quota(user, used=10, period_start=_last_month())

    profile = auth_client.get("/api/user/profile").json()["user"]
    usage = auth_client.get("/api/user/usage").json()

    assert profile["monthlyStoriesUsed"] == 0
    assert usage["limits"] == {
        "storiesUsed": 0,
        "storiesLimit": 10,
        "percentage": 0,
        "alert": None,
    }


def test_a_new_month_lets_a_family_at_its_limit_write_again(user, auth_client):
    from tests.heroes.factories import HeroFactory

    hero = HeroFactory(user=user)
    quota = set_quota(user, used=10, period_start=_last_month())

    response = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False},
        format="json",
    )

    assert response.status_code == 201
    quota.refresh_from_db()
    assert (quota.stories_used, quota.period_start) == (1, quota_period_current())


def test_cost_dashboard_renders_totals(admin_client):
    user = UserFactory()
    _row(user, "story_generation")
    response = admin_client.get("/admin/usage/usagemetric/")
    assert response.status_code == 200
    assert b"Totals for the filtered calls" in response.content
    assert b"story_generation" in response.content
    assert admin_client.get("/admin/stories/generationjob/").status_code == 200
    assert admin_client.get("/admin/usage/price/").status_code == 200


def test_dated_snapshot_names_are_priced_as_their_alias():
    """The API answers `gpt-5.4-mini-2026-03-17` for a request to `gpt-5.4-mini`."""
    snapshot = usage_cost(
        vendor="openai",
        model="gpt-5.4-mini-2026-03-17",
        unit="tokens",
        input_units=1_000_000,
        output_units=0,
    )
    alias = usage_cost(
        vendor="openai", model="gpt-5.4-mini", unit="tokens", input_units=1_000_000, output_units=0
    )
    unrelated = usage_cost(
        vendor="openai", model="gpt-5.4x", unit="tokens", input_units=1_000_000, output_units=0
    )

    assert snapshot == alias > 0
    assert unrelated == 0
