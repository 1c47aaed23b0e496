"""Spend ceilings with reserve-then-settle, the global monthly budget and its e-mails."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from threading import Barrier

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from stories import tasks
from stories.models import GenerationJob, Story
from tests.accounts.factories import UserFactory
from tests.fakes.fixtures import fake_openai, openai_provider, openai_speech_alive  # noqa: F401
from tests.helpers import client_for, post_story
from tests.stories.factories import StoryFactory
from tests.usage.factories import put_on_plan
from usage.models import BudgetAlert, CostReservation, RuntimeSettings, SpendCounter, UsageMetric
from usage.selectors import GLOBAL_SCOPE, seconds_until_next_month, seconds_until_tomorrow
from usage.services import usage_record


def month_counter(scope: str) -> SpendCounter:
    return SpendCounter.objects.get(
        scope=scope, period="month", start=timezone.localdate().replace(day=1)
    )


# --- A user's ceilings ----------------------------------------------------------------------------


def test_over_the_daily_ceiling_is_429_naming_it_and_charges_nothing(auth_client, user, hero):
    # given a plan whose daily allowance is less than one story's estimate (about $0.02)
    put_on_plan(user, code="thrifty", daily_cost_ceiling=Decimal("0.01"))

    response = post_story(auth_client, hero)

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "QUOTA_EXCEEDED"
    assert body["details"]["limit"] == "daily_cost"
    assert body["details"]["ceilingUsd"] == 0.01
    assert abs(int(response["Retry-After"]) - seconds_until_tomorrow()) <= 2
    assert not Story.objects.exists()
    assert not UsageMetric.objects.exists()
    assert not CostReservation.objects.exists()
    assert month_counter(user.pk).reserved == 0


def test_over_the_monthly_ceiling_is_429_until_the_month_turns(auth_client, user, hero):
    put_on_plan(user, code="monthly", monthly_cost_ceiling=Decimal("0.01"))

    response = post_story(auth_client, hero)

    assert response.status_code == 429
    assert response.json()["details"]["limit"] == "monthly_cost"
    assert abs(int(response["Retry-After"]) - seconds_until_next_month()) <= 2


def test_a_refused_reservation_gives_back_the_rate_limit_unit(auth_client, user, hero, settings):
    settings.RATE_LIMITS = "story_generation=1/h"
    plan = put_on_plan(user, code="thrifty", daily_cost_ceiling=Decimal("0.01"))
    assert post_story(auth_client, hero).status_code == 429

    plan.daily_cost_ceiling = Decimal("0.50")
    plan.save()

    assert post_story(auth_client, hero).status_code == 201


def test_real_costs_settle_the_reservation_and_the_counters_match_the_usage_log(
    openai_provider,  # noqa: F811
    auth_client,
    user,
    hero,
    django_capture_on_commit_callbacks,
):
    # when a story is written and its narration queued (not yet run)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_story(auth_client, hero, generateAudio=True)
    assert response.status_code == 201
    # then the story's reservation is settled, the narration's still held
    held = CostReservation.objects.get(ended_at__isnull=True)
    assert held.operation == "audio_synthesis" and held.amount > 0
    assert month_counter(user.pk).reserved == held.amount

    # when the narration runs
    for callback in queued:
        callback()

    # then nothing is held any more and what was spent is exactly the usage log's sum
    assert not CostReservation.objects.filter(ended_at__isnull=True).exists()
    logged = sum(row.cost for row in UsageMetric.objects.filter(user=user))
    assert logged > 0
    for scope in (user.pk, GLOBAL_SCOPE):
        counter = month_counter(scope)
        assert (counter.spent, counter.reserved) == (logged, 0)


def test_a_failed_narration_releases_its_reservation(
    openai_provider,  # noqa: F811
    openai_speech_alive,  # noqa: F811
    auth_client,
    user,
    django_capture_on_commit_callbacks,
):
    openai_provider.fail("/v1/audio/speech", times=None, status=400)
    story = StoryFactory(user=user)

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            auth_client.post(f"/api/stories/{story.pk}/audio", {}, format="json").status_code == 202
        )

    assert GenerationJob.objects.get(story=story).status == "failed"
    assert CostReservation.objects.get().ended_at is not None
    assert month_counter(user.pk).reserved == 0


@pytest.mark.parametrize("deleted", ["story", "account"])
def test_deleting_a_story_or_account_releases_what_its_waiting_narration_reserved(
    auth_client, user, settings, deleted
):
    # given narration queued (not run yet), its cost reserved against the ceilings and the budget
    settings.AI_TTS_PROVIDER_CHAIN = ["openai"]
    story = StoryFactory(user=user)
    assert auth_client.post(f"/api/stories/{story.pk}/audio", {}, format="json").status_code == 202
    held = CostReservation.objects.get()
    assert held.amount > 0 and month_counter(GLOBAL_SCOPE).reserved == held.amount

    # when the family deletes the story, or the whole account, with it
    path = f"/api/stories/{story.pk}" if deleted == "story" else "/api/user/account"
    assert auth_client.delete(path).status_code in (200, 204)

    # then nothing stays reserved: the job that would have settled it is gone
    held.refresh_from_db()
    assert held.ended_at is not None
    assert month_counter(GLOBAL_SCOPE).reserved == 0


@pytest.mark.e2e
def test_ten_parallel_requests_against_a_ceiling_that_allows_one(
    transactional_db, user, monkeypatch, settings
):
    """Needs PostgreSQL: ten requests in ten threads reserve at once; one passes."""
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://..."
    import importlib

    from django.apps import apps

    importlib.import_module("usage.migrations.0002_seed_prices").seed(apps, None)
    # narration stays queued (its reservation held) so no request can settle before another
    monkeypatch.setattr(tasks.audio_generate_task, "apply_async", lambda **kwargs: None)
    # one narration of a factory story by OpenAI's voice is estimated at about $0.0086: one
    # fits in $0.01 (the reservation is priced at the vendor that narrates first)
    settings.AI_TTS_PROVIDER_CHAIN = ["openai"]
    put_on_plan(user, code="one-narration", daily_cost_ceiling=Decimal("0.01"))
    stories = [StoryFactory(user=user) for _ in range(10)]
    clients = [client_for(user) for _ in range(10)]
    start = Barrier(10)

    def narrate(pair):
        api, story = pair
        try:
            start.wait()
            response = api.post(f"/api/stories/{story.pk}/audio", {}, format="json")
            return response.status_code, response.json().get("details", {}).get("limit")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = sorted(pool.map(narrate, zip(clients, stories, strict=True)), key=str)

    assert answers == [(202, None)] + [(429, "daily_cost")] * 9
    assert GenerationJob.objects.count() == 1
    held = CostReservation.objects.get()
    counter = SpendCounter.objects.get(scope=user.pk, period="day")
    assert counter.reserved == held.amount <= Decimal("0.01")


# --- The global budget ----------------------------------------------------------------------------


def spend_this_month(amount: str) -> None:
    SpendCounter.objects.update_or_create(
        scope=GLOBAL_SCOPE,
        period="month",
        start=timezone.localdate().replace(day=1),
        defaults={"spent": Decimal(amount)},
    )


def test_an_exhausted_budget_refuses_new_ai_work_but_the_library_keeps_working(
    auth_client, user, hero, settings
):
    settings.MONTHLY_BUDGET_USD = Decimal("100")
    spend_this_month("100")
    story = StoryFactory(user=user, hero=hero)

    refused = [
        post_story(auth_client, hero),
        auth_client.post(f"/api/stories/{story.pk}/audio", {}, format="json"),
        auth_client.post(f"/api/stories/{story.pk}/illustrations", {"count": 1}, format="json"),
        auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json"),
    ]

    assert [r.status_code for r in refused] == [503] * 4
    assert {r.json()["code"] for r in refused} == {"AI_BUDGET_EXHAUSTED"}
    assert abs(int(refused[0]["Retry-After"]) - seconds_until_next_month()) <= 2
    assert not UsageMetric.objects.exists()
    assert not GenerationJob.objects.exists()
    assert auth_client.get("/api/stories").status_code == 200
    assert auth_client.get(f"/api/stories/{story.pk}").status_code == 200
    edit = auth_client.patch(f"/api/stories/{story.pk}", {"isFavorite": True}, format="json")
    assert edit.status_code == 200
    assert auth_client.post(f"/api/stories/{story.pk}/listen").status_code == 200


def test_staff_raising_the_budget_lets_work_through_at_once(
    auth_client, hero, settings, admin_client, django_capture_on_commit_callbacks
):
    settings.MONTHLY_BUDGET_USD = Decimal("100")
    spend_this_month("100")
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
                "monthly_budget": "150.00",
            },
        )

    assert saved.status_code == 302
    assert RuntimeSettings.objects.get(pk=1).monthly_budget == Decimal("150.00")
    assert post_story(auth_client, hero).status_code == 201


def record_cost(tokens: int) -> None:
    """One story-writing call of `tokens` input tokens: $2.50 per million at gpt-5.4."""
    usage_record(
        user_id=None,
        operation="story_generation",
        vendor="openai",
        model="gpt-5.4",
        unit="tokens",
        input_units=tokens,
        output_units=0,
        usage_reported=True,
        latency_ms=1,
        success=True,
    )


def test_staff_get_one_email_per_budget_threshold_per_month(
    settings, django_capture_on_commit_callbacks
):
    settings.MONTHLY_BUDGET_USD = Decimal("1.00")
    staff = UserFactory(is_staff=True, email="ops@example.com")
    UserFactory(email="family@example.com")

    # spend $0.40, $0.50, $0.60, $0.80, $0.95, $0.99, $1.00, $1.10 in turn
    for tokens in [160_000, 40_000, 40_000, 80_000, 60_000, 16_000, 4_000, 40_000]:
        with django_capture_on_commit_callbacks(execute=True):
            record_cost(tokens)

    subjects = [message.subject for message in mail.outbox]
    assert subjects == [
        f"[InfiniteStories] AI spend at {t}% of the {timezone.now():%B %Y} budget"
        for t in (50, 80, 95, 100)
    ]
    assert all(message.to == [staff.email] for message in mail.outbox)
    assert "503 AI_BUDGET_EXHAUSTED" in mail.outbox[3].body
    assert list(BudgetAlert.objects.order_by("threshold").values_list("threshold", flat=True)) == [
        50,
        80,
        95,
        100,
    ]


def test_a_jump_past_two_thresholds_sends_both_once(settings, django_capture_on_commit_callbacks):
    settings.MONTHLY_BUDGET_USD = Decimal("1.00")
    UserFactory(is_staff=True)

    with django_capture_on_commit_callbacks(execute=True):
        record_cost(340_000)  # $0.85
    with django_capture_on_commit_callbacks(execute=True):
        record_cost(4_000)

    assert [m.subject.split()[4] for m in mail.outbox] == ["50%", "80%"]


def test_a_reservation_nobody_settled_is_released_after_its_ttl(user, settings):
    from usage.models import Plan
    from usage.services import ai_works_release_stale
    from usage.services.spend import cost_reserve

    settings.COST_RESERVATION_TTL = 3600
    plan = Plan.objects.get(code="free")
    old = cost_reserve(
        user=user,
        operation="audio_synthesis",
        amount=Decimal("0.05"),
        plan=plan,
        budget=Decimal("10"),
    )
    fresh = cost_reserve(
        user=user,
        operation="audio_synthesis",
        amount=Decimal("0.02"),
        plan=plan,
        budget=Decimal("10"),
    )
    CostReservation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))

    assert ai_works_release_stale() == 1

    assert CostReservation.objects.get(pk=old.pk).ended_at is not None
    assert CostReservation.objects.get(pk=fresh.pk).ended_at is None
    assert month_counter(user.pk).reserved == Decimal("0.02")
    assert month_counter(GLOBAL_SCOPE).reserved == Decimal("0.02")


def test_old_spend_counters_are_purged_and_current_ones_kept(user):
    from usage.services import spend_counters_purge

    today = timezone.localdate()
    month = today.replace(day=1)
    for period, start in [
        ("day", today),
        ("day", today - timedelta(days=8)),
        ("month", month),
        ("month", month - timedelta(days=400)),
    ]:
        SpendCounter.objects.create(scope=user.pk, period=period, start=start, spent=Decimal("1"))

    assert spend_counters_purge() == 2
    assert sorted(SpendCounter.objects.values_list("period", "start")) == [
        ("day", today),
        ("month", month),
    ]
