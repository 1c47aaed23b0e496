"""The admin is the operations and cost dashboard: figures equal sums computed by hand over known
rows; usage rows are read-only, exportable, and outlive the account that made them; staff
changes are audited."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from accounts.services import user_account_delete
from stories.models import GenerationJob
from tests.accounts.factories import UserFactory
from tests.admin_urls import admin_url
from tests.heroes.factories import HeroFactory
from tests.stories.factories import StoryFactory
from tests.usage.factories import UsageMetricFactory
from usage.models import Plan, UsageMetric
from usage.selectors import cost_dashboard, user_spend

D = Decimal


@pytest.fixture
def now():
    """Mid-month, so that "this month" and "the last 30 days" are unambiguous whatever today is."""
    return timezone.now().replace(day=15, hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture
def family(now):
    alice, bob = UserFactory(email="alice@example.com"), UserFactory(email="bob@example.com")

    def row(op, model, cost, latency, *, at, user, story="", success=True):
        return UsageMetricFactory(
            operation=op,
            model=model,
            cost=D(cost),
            latency_ms=latency,
            success=success,
            created_at=at,
            user=user,
            story_id=story,
        )

    today, yesterday, three_days = (
        now - timedelta(hours=2),
        now - timedelta(days=1),
        now - timedelta(days=3),
    )
    row("story_generation", "gpt-5.4", "0.020", 1000, at=today, user=alice, story="s1")
    row("audio_synthesis", "tts-1", "0.050", 2000, at=today, user=alice, story="s1")
    row("moderation", "omni-moderation-latest", "0", 100, at=today, user=alice)
    row(
        "story_generation",
        "gpt-5.4",
        "0.020",
        800,
        at=today + timedelta(minutes=5),
        user=alice,
        story="s1",
    )
    row("image_generation", "gpt-image-2", "0.011", 3000, at=yesterday, user=bob, story="s2")
    row(
        "image_generation",
        "gpt-image-2",
        "0",
        500,
        at=yesterday,
        user=bob,
        story="s2",
        success=False,
    )
    row("story_generation", "gpt-5.4", "0.030", 1500, at=three_days, user=bob, story="s2")
    row("story_generation", "gpt-5.4", "0.025", 1200, at=three_days, user=None, story="s3")
    row(
        "story_generation",
        "gpt-5.4",
        "0.500",
        900,
        at=now - timedelta(days=40),
        user=alice,
        story="s0",
    )
    return alice, bob


def test_dashboard_figures_equal_hand_computed_sums(family, now, settings):

    settings.MONTHLY_BUDGET_USD = D("10")

    figures = cost_dashboard(now=now)

    assert figures["spent_today"] == D("0.090")
    assert figures["spent_month"] == D("0.156")
    assert figures["budget"] == D("10")
    assert figures["budget_percent"] == 1.6
    assert [(r["operation"], r["calls"], r["cost"]) for r in figures["by_operation"]] == [
        ("story_generation", 4, D("0.095")),
        ("audio_synthesis", 1, D("0.050")),
        ("image_generation", 2, D("0.011")),
        ("moderation", 1, D("0")),
    ]
    assert [(r["model"], r["calls"], r["cost"]) for r in figures["by_model"]] == [
        ("gpt-5.4", 4, D("0.095")),
        ("tts-1", 1, D("0.050")),
        ("gpt-image-2", 2, D("0.011")),
        ("omni-moderation-latest", 1, D("0")),
    ]
    # the deleted family's spend counts in the totals, but names no one
    assert [(r["user__email"], r["calls"], r["cost"]) for r in figures["top_users"]] == [
        ("alice@example.com", 4, D("0.090")),
        ("bob@example.com", 3, D("0.041")),
    ]
    health = {row["operation"]: row for row in figures["health"]}
    assert health["story_generation"] | {} == {
        "operation": "story_generation",
        "calls": 4,
        "errors": 0,
        "error_rate": 0.0,
        "p50_ms": 1000,  # of 800, 1000, 1200, 1500 (nearest rank)
        "p95_ms": 1500,
    }
    assert (health["image_generation"]["error_rate"], health["image_generation"]["p50_ms"]) == (
        50.0,
        500,
    )
    assert health["image_generation"]["p95_ms"] == 3000
    daily = {row["day"]: row for row in figures["daily"]}
    assert len(figures["daily"]) == 30
    assert figures["daily"][-1]["day"] == now.date()
    assert (daily[now.date()]["spend"], daily[now.date()]["stories"]) == (D("0.090"), 1)
    yesterday = now.date() - timedelta(days=1)
    assert (daily[yesterday]["spend"], daily[yesterday]["stories"]) == (D("0.011"), 0)
    three_days = now.date() - timedelta(days=3)
    assert (daily[three_days]["spend"], daily[three_days]["stories"]) == (D("0.055"), 2)
    assert sum(row["spend"] for row in figures["daily"]) == D("0.156")


def test_the_admin_index_is_the_dashboard_with_real_charts(admin_client):
    alice = UserFactory()
    UsageMetricFactory(cost=D("0.02"), user=alice)
    story = StoryFactory()
    for status in ["queued", "queued", "processing", "failed"]:
        GenerationJob.objects.create(user=story.user, story=story, kind="audio", status=status)

    page = admin_client.get("/admin/").content.decode()

    dashboard = page.split('id="ops-dashboard"')[1].split('id="content-main"')[0]
    assert dashboard.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert 'class="pygal-chart chart-daily-spend"' in dashboard
    assert 'class="pygal-chart chart-daily-stories"' in dashboard
    assert not re.search(r"<script[^>]*\bsrc=", dashboard)  # nothing loaded from a CDN
    assert f'href="{admin_url(alice)}"' in page
    assert 'href="/admin/stories/generationjob/?status__exact=queued"' in page
    assert 'data-job-status="queued">2<' in page
    assert 'data-job-status="processing">1<' in page
    assert 'data-job-status="failed">1<' in page


def test_usage_rows_are_read_only(admin_client, family):
    row = UsageMetric.objects.first()

    change = admin_client.post(admin_url(row), {"cost": "0"})
    delete = admin_client.post(admin_url(row, "delete"), {"post": "yes"})

    assert (change.status_code, delete.status_code) == (403, 403)
    assert UsageMetric.objects.get(pk=row.pk).cost == row.cost


def test_usage_rows_export_as_csv_with_the_lists_filters(admin_client, family):
    response = admin_client.get(
        "/admin/usage/usagemetric/export.csv?operation__exact=image_generation"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="ai-usage-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted((r["operation"], r["cost"], r["success"], r["user_email"]) for r in rows) == [
        ("image_generation", "0.000000", "False", "bob@example.com"),
        ("image_generation", "0.011000", "True", "bob@example.com"),
    ]


def test_the_export_is_for_staff_only(client, family):
    response = client.get("/admin/usage/usagemetric/export.csv")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_user_page_shows_spend_heroes_and_stories(admin_client, family, now):
    alice, _ = family
    hero = HeroFactory(user=alice)
    StoryFactory(user=alice, hero=hero)
    StoryFactory(user=alice, hero=hero)
    month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    expected_month = sum(
        (r.cost for r in UsageMetric.objects.filter(user=alice, created_at__gte=month_start)), D(0)
    )

    page = admin_client.get(admin_url(alice)).content.decode()

    assert user_spend(user_id=alice.pk) == {"all_time": D("0.590"), "this_month": expected_month}
    assert f"{expected_month:.4f}" in page
    assert "0.5900" in page
    assert f'/admin/heroes/hero/?user__id__exact={alice.pk}">1 heroes' in page
    assert f'/admin/stories/story/?user__id__exact={alice.pk}">2 stories' in page


def test_deleting_an_account_keeps_its_cost_rows_anonymised(family, now):
    alice, _ = family
    before = cost_dashboard(now=now)
    rows = list(UsageMetric.objects.filter(user=alice).values_list("pk", flat=True))

    user_account_delete(user=alice)

    assert set(UsageMetric.objects.filter(pk__in=rows).values_list("user_id", flat=True)) == {None}
    after = cost_dashboard(now=now)
    assert (after["spent_month"], after["spent_today"]) == (
        before["spent_month"],
        before["spent_today"],
    )
    assert [r["user__email"] for r in after["top_users"]] == ["bob@example.com"]


def test_staff_changes_to_plans_and_switches_are_audited(admin_client, admin_user):
    free = Plan.objects.get(code="free")
    fields = {
        "code": "free",
        "name": "Free",
        "stories_per_month": "12",
        "pictures_per_story": "3",
        "image_quality": "low",
        "image_size": "1024x1024",
        "daily_cost_ceiling": "0.50",
        "monthly_cost_ceiling": "1.50",
        "illustrations": "on",
    }
    assert admin_client.post(admin_url(free), fields).status_code == 302
    admin_client.get("/admin/usage/runtimesettings/")
    switched = admin_client.post(
        "/admin/usage/runtimesettings/1/change/",
        {
            "audio_enabled": "on",
            "illustrations_enabled": "on",
            "avatars_enabled": "on",
            "monthly_budget": "75",
        },
    )
    assert switched.status_code == 302

    plan_entry = LogEntry.objects.get(
        content_type__model="plan", object_pk=str(free.pk), action=LogEntry.Action.UPDATE
    )
    assert plan_entry.actor == admin_user
    assert plan_entry.changes_dict == {"stories_per_month": ["10", "12"]}
    switch_entry = LogEntry.objects.filter(content_type__model="runtimesettings").latest(
        "timestamp"
    )
    assert switch_entry.actor == admin_user
    assert switch_entry.changes_dict["ai_enabled"] == ["True", "False"]
    assert switch_entry.changes_dict["monthly_budget"] == ["None", "75"]
    assert admin_client.get("/admin/auditlog/logentry/").status_code == 200


def test_every_ai_call_list_shows_the_newest_call_first(admin_client, now):
    user = UserFactory()
    UsageMetricFactory(user=user, operation="moderation", created_at=now - timedelta(days=2))
    UsageMetricFactory(user=user, operation="story_generation", created_at=now)
    UsageMetricFactory(user=user, operation="audio_synthesis", created_at=now - timedelta(days=1))

    response = admin_client.get("/admin/usage/usagemetric/")

    shown = [row.operation for row in response.context_data["cl"].result_list]
    assert shown == ["story_generation", "audio_synthesis", "moderation"]
    # thirteen columns scroll inside the page instead of widening it
    assert b'class="usage-calls" style="overflow-x:auto' in response.content
