"""The free and premium plans, and each family's own story limit kept as a plan.

Until now a limit lived on each family's quota row (default 10; staff could raise it). From here a
plan sets it: families on the old default follow their tier's plan, and a family with a limit of
its own is given a plan "custom-<n>" (the free plan with n stories a month), so no limit is lost.
"""

from decimal import Decimal

from django.db import migrations

OLD_DEFAULT_LIMIT = 10

# The free plan fits the PRD's $1.50 a family a month: ten illustrated stories at about $0.12 each
# (three low-quality square pictures; README "What a story costs"). Premium draws medium pictures.
PLANS = [
    {
        "code": "free",
        "name": "Free",
        "stories_per_month": 10,
        "pictures_per_story": 3,
        "image_quality": "low",
        "image_size": "1024x1024",
        "daily_cost_ceiling": Decimal("0.50"),
        "monthly_cost_ceiling": Decimal("1.50"),
        "illustrations": True,
        "premium_voices": False,
        "high_priority": False,
    },
    {
        "code": "premium",
        "name": "Premium",
        "stories_per_month": 30,
        "pictures_per_story": 5,
        "image_quality": "medium",
        "image_size": "1024x1024",
        "daily_cost_ceiling": Decimal("2.00"),
        "monthly_cost_ceiling": Decimal("10.00"),
        "illustrations": True,
        "premium_voices": True,
        "high_priority": True,
    },
]


def seed(apps, schema_editor):
    Plan = apps.get_model("usage", "Plan")
    StoryQuota = apps.get_model("usage", "StoryQuota")
    AccountStanding = apps.get_model("usage", "AccountStanding")
    for values in PLANS:
        Plan.objects.get_or_create(code=values["code"], defaults=values)
    free = next(values for values in PLANS if values["code"] == "free")
    for quota in StoryQuota.objects.exclude(stories_limit=OLD_DEFAULT_LIMIT):
        limit = quota.stories_limit
        plan, _ = Plan.objects.get_or_create(
            code=f"custom-{limit}",
            defaults={
                **free,
                "code": f"custom-{limit}",
                "name": f"Free with {limit} stories a month",
                "stories_per_month": limit,
            },
        )
        AccountStanding.objects.update_or_create(user_id=quota.user_id, defaults={"plan": plan})


def unseed(apps, schema_editor):
    Plan = apps.get_model("usage", "Plan")
    StoryQuota = apps.get_model("usage", "StoryQuota")
    AccountStanding = apps.get_model("usage", "AccountStanding")
    for standing in AccountStanding.objects.filter(plan__code__startswith="custom-"):
        StoryQuota.objects.filter(user_id=standing.user_id).update(
            stories_limit=standing.plan.stories_per_month
        )
    AccountStanding.objects.update(plan=None)
    Plan.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("usage", "0006_plans_budgets_switches")]
    operations = [migrations.RunPython(seed, unseed)]
