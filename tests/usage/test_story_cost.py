"""What a fully illustrated story and an avatar cost with the default models, priced by the price
table from the fake vendor's realistic token counts: the free plan keeps an illustrated story
within the PRD's budget ($1.50 a month for ten stories, so $0.15 a story)."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from tests.fakes.fixtures import fake_openai, openai_provider  # noqa: F401
from tests.helpers import post_story
from tests.heroes.factories import HeroFactory
from usage.models import UsageMetric

PRD_STORY_BUDGET = Decimal("0.15")
# Output tokens of one low-quality picture by size, as OpenAI's image generation guide gives them
# for gpt-image-1 (written here, not read from infinitestories.ai.images, whose table they check).
LOW_PICTURE_TOKENS = {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400}


def make_illustrated_story(api, hero, captured) -> str:
    response = post_story(
        api, hero, on_commit=captured, generateAudio=True, generateIllustrations=True
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
    pictures = UsageMetric.objects.filter(story_id=story_id, operation="image_generation")
    assert pictures.count() == 3
    # each picture is charged for the tokens the vendor reported for a free plan's low quality
    drawn = [c.body for c in openai_provider.calls("/v1/images/") if c.body["quality"] == "low"]
    assert sorted(p.output_units for p in pictures) == sorted(
        LOW_PICTURE_TOKENS[body.get("size") or "1024x1024"] for body in drawn[-3:]
    )
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


def test_narration_is_reserved_at_the_price_of_the_vendor_that_narrates(settings):
    from infinitestories.ai.base import Operation
    from usage.models import Plan
    from usage.selectors import cost_estimate

    plan = Plan.objects.get(code="free")
    settings.OPENAI_API_KEY = "sk-test"
    settings.ELEVENLABS_API_KEY = "el-test"

    settings.AI_TTS_PROVIDER_CHAIN = ["openai"]
    openai = cost_estimate(operation=Operation.AUDIO_SYNTHESIS, plan=plan, characters=10_000)
    settings.AI_TTS_PROVIDER_CHAIN = ["elevenlabs"]
    elevenlabs = cost_estimate(operation=Operation.AUDIO_SYNTHESIS, plan=plan, characters=10_000)
    settings.AI_TTS_PROVIDER_CHAIN = ["elevenlabs", "openai"]
    either = cost_estimate(operation=Operation.AUDIO_SYNTHESIS, plan=plan, characters=10_000)

    # Seeded list prices: gpt-4o-mini-tts $15, eleven_multilingual_v2 $100 per million characters.
    assert (openai, elevenlabs) == (Decimal("0.150000"), Decimal("1.000000"))
    # a chain may buy part of the text from the first vendor, then all of it from the next
    assert either == openai + elevenlabs
