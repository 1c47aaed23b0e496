"""What a fully illustrated story and an avatar cost with the default models, priced by the price
table from the fake vendor's realistic token counts: the free plan keeps an illustrated story
within the PRD's budget ($1.50 a month for ten stories, so $0.15 a story)."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from tests.fakes.fixtures import fake_openai, openai_provider  # noqa: F401
from tests.heroes.factories import HeroFactory
from usage.models import UsageMetric

PRD_STORY_BUDGET = Decimal("0.15")


def make_illustrated_story(api, hero, captured) -> str:
    with captured(execute=True):
        response = api.post(
            "/api/stories",
            {"heroId": hero.pk, "eventType": "bedtime", "generateIllustrations": True},
            format="json",
        )
    assert response.status_code == 201, response.json()
    return response.json()["story"]["id"]


def story_cost(story_id: str) -> Decimal:
    return UsageMetric.objects.filter(story_id=story_id).aggregate(total=Sum("cost"))["total"]


@pytest.fixture
def hero(user):
    return HeroFactory(user=user, name="Luna", appearance="curly red hair, a yellow raincoat")


def test_a_free_plan_illustrated_story_costs_less_than_the_prds_budget(
    openai_provider,  # noqa: F811
    auth_client,
    hero,
    django_capture_on_commit_callbacks,
):
    assert auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json").status_code == 200
    avatar = UsageMetric.objects.filter(hero_id=hero.pk, story_id="").aggregate(total=Sum("cost"))

    story_id = make_illustrated_story(auth_client, hero, django_capture_on_commit_callbacks)

    by_operation = dict(
        UsageMetric.objects.filter(story_id=story_id)
        .values_list("operation")
        .annotate(total=Sum("cost"))
        .values_list("operation", "total")
    )
    assert set(by_operation) >= {
        "story_generation",
        "audio_synthesis",
        "scene_extraction",
        "image_generation",
    }
    assert UsageMetric.objects.filter(story_id=story_id, operation="image_generation").count() == 3
    assert story_cost(story_id) < PRD_STORY_BUDGET
    assert Decimal("0.02") < avatar["total"] < Decimal("0.10")


def test_premium_pictures_cost_more_than_free_ones(
    openai_provider,  # noqa: F811
    auth_client,
    user,
    hero,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.RATE_LIMITS = "illustration_generation=10/h"  # two sets of pictures in the hour
    free = make_illustrated_story(auth_client, hero, django_capture_on_commit_callbacks)
    user.subscription_tier = "premium"
    user.save()
    premium = make_illustrated_story(auth_client, hero, django_capture_on_commit_callbacks)

    def pictures(story_id):
        return UsageMetric.objects.filter(
            story_id=story_id, operation="image_generation"
        ).aggregate(total=Sum("cost"))["total"]

    assert pictures(premium) > 3 * pictures(free)
    qualities = {c.body["quality"] for c in openai_provider.calls("/v1/images/")}
    assert qualities == {"low", "medium"}
