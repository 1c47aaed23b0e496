"""Set and read a family's plan and monthly story quota (usage.StoryQuota) in tests."""

from decimal import Decimal

import factory

from usage.models import AccountStanding, Plan, StoryQuota, UsageMetric
from usage.selectors import story_quota


class PlanFactory(factory.django.DjangoModelFactory):
    """A plan like the seeded free one unless told otherwise."""

    class Meta:
        model = Plan
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.LazyAttribute(lambda plan: plan.code.title())
    stories_per_month = 10
    pictures_per_story = 3
    daily_cost_ceiling = Decimal("0.50")
    monthly_cost_ceiling = Decimal("1.50")


class UsageMetricFactory(factory.django.DjangoModelFactory):
    """One AI call in the usage log (cost given as is, not priced)."""

    class Meta:
        model = UsageMetric

    operation = "story_generation"
    vendor = "openai"
    model = "gpt-5.4"
    unit = "tokens"
    cost = Decimal("0.01")
    latency_ms = 1000
    success = True


def put_on_plan(user, **plan_fields) -> Plan:
    """Give the user a plan of their own with these fields (the rest as the free plan)."""
    plan = PlanFactory(**plan_fields)
    AccountStanding.objects.update_or_create(user=user, defaults={"plan": plan})
    return plan


def set_quota(user, *, used: int = 0, limit: int | None = None, period_start=None) -> StoryQuota:
    """This month's count; `limit` puts the user on a plan with that many stories a month."""
    if limit is not None:
        put_on_plan(user, code=f"stories-{limit}", stories_per_month=limit)
    values = {"stories_used": used}
    if period_start is not None:
        values["period_start"] = period_start
    quota, _ = StoryQuota.objects.update_or_create(user=user, defaults=values)
    return quota


def stories_used(user) -> int:
    """This month's count, as the API shows it."""
    return story_quota(user=user).stories_used
