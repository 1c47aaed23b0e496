"""Stacked free accounts never take the service from paying families: free accounts' AI work
stops at their share of the monthly budget (usage.selectors.budget_for), paid plans' goes on to
100 %; staff change the share in the admin; staff hear of it once a month by e-mail."""

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from tests.accounts.factories import UserFactory
from tests.helpers import client_for, post_story
from tests.heroes.factories import HeroFactory
from usage.models import BudgetAlert, RuntimeSettings, SpendCounter
from usage.selectors import GLOBAL_SCOPE
from usage.services import usage_record


@pytest.fixture(autouse=True)
def _share(settings):
    settings.MONTHLY_BUDGET_USD = Decimal("100")
    settings.FREE_BUDGET_SHARE_PERCENT = 80


def spend_this_month(amount: str) -> None:
    SpendCounter.objects.update_or_create(
        scope=GLOBAL_SCOPE,
        period="month",
        start=timezone.localdate().replace(day=1),
        defaults={"spent": Decimal(amount)},
    )


def family(tier: str):
    user = UserFactory(subscription_tier=tier)
    return client_for(user), HeroFactory(user=user)


def test_past_the_free_share_free_work_stops_and_paid_work_goes_on(user, hero, auth_client):
    # given 80 % of the month's budget spent
    spend_this_month("80")
    premium_client, premium_hero = family("premium")

    # when a free family and a premium family ask for a story
    free = post_story(auth_client, hero)
    premium = post_story(premium_client, premium_hero)

    # then the free one is refused as if the budget were spent, the premium one is written
    assert (free.status_code, free.json()["code"]) == (503, "AI_BUDGET_EXHAUSTED")
    assert premium.status_code == 201, premium.json()


def test_below_the_free_share_free_work_goes_on(user, hero, auth_client):
    spend_this_month("79")

    assert post_story(auth_client, hero).status_code == 201


def test_paid_work_stops_at_the_whole_budget(user):
    spend_this_month("100")
    premium_client, premium_hero = family("premium")

    response = post_story(premium_client, premium_hero)

    assert (response.status_code, response.json()["code"]) == (503, "AI_BUDGET_EXHAUSTED")


def test_staff_change_the_share_in_the_admin_and_it_applies_at_once(
    user, hero, auth_client, admin_client, django_capture_on_commit_callbacks
):
    spend_this_month("85")
    assert post_story(auth_client, hero).status_code == 503

    admin_client.get("/admin/usage/runtimesettings/")
    with django_capture_on_commit_callbacks(execute=True):
        saved = admin_client.post(
            "/admin/usage/runtimesettings/1/change/",
            {
                "ai_enabled": "on",
                "audio_enabled": "on",
                "illustrations_enabled": "on",
                "avatars_enabled": "on",
                "free_budget_share": "90",
            },
        )

    assert saved.status_code == 302
    assert RuntimeSettings.objects.get(pk=1).free_budget_share == 90
    assert post_story(auth_client, hero).status_code == 201


def test_the_admin_refuses_a_share_over_100(admin_client):
    admin_client.get("/admin/usage/runtimesettings/")

    response = admin_client.post(
        "/admin/usage/runtimesettings/1/change/",
        {"ai_enabled": "on", "free_budget_share": "150"},
    )

    assert response.status_code == 200  # the form again, with its error
    assert RuntimeSettings.objects.get(pk=1).free_budget_share is None


def record_cost(dollars: int) -> None:
    """A story-writing call costing `dollars` ($2.50 per million input tokens at gpt-5.4)."""
    usage_record(
        user_id=None,
        operation="story_generation",
        vendor="openai",
        model="gpt-5.4",
        unit="tokens",
        input_units=dollars * 400_000,
        output_units=0,
        usage_reported=True,
        latency_ms=1,
        success=True,
    )


def test_staff_hear_once_when_free_accounts_reach_their_share(
    django_capture_on_commit_callbacks,
):
    staff = UserFactory(is_staff=True, email="ops@example.com")

    # spend $70, $11 (81 %, past the share) and $5 more
    for dollars in (70, 11, 5):
        with django_capture_on_commit_callbacks(execute=True):
            record_cost(dollars)

    share_mails = [m for m in mail.outbox if "Free accounts" in m.subject]
    assert len(share_mails) == 1
    assert share_mails[0].to == [staff.email]
    assert "80%" in share_mails[0].subject and "paid plans go on" in share_mails[0].body
    assert BudgetAlert.objects.filter(kind="free_share", threshold=80).count() == 1
    # the budget's own thresholds are still announced, each once
    assert sorted(
        BudgetAlert.objects.filter(kind="budget").values_list("threshold", flat=True)
    ) == [50, 80]
