import json

from django.conf import settings

from infinitestories.ai.local_stories import EVENTS as OFFLINE_PHRASES
from stories.events import STORY_EVENT_IDS as PUBLISHED
from tests.heroes.factories import HeroFactory
from tests.usage.factories import set_quota, stories_used


def test_every_published_event_has_prompt_guidance_and_offline_phrases_in_five_languages():
    guidance = json.loads(
        (settings.BASE_DIR / "templates/prompts/story/v1/events.json").read_text()
    )

    assert set(guidance) == PUBLISHED | {"custom"}
    for language in ("en", "es", "fr", "de", "it"):
        assert set(OFFLINE_PHRASES[language]) == PUBLISHED, language


def test_a_story_for_an_unpublished_event_type_is_400_and_costs_nothing(auth_client, user):
    hero = HeroFactory(user=user)

    response = auth_client.post(
        "/api/stories", {"heroId": hero.id, "eventType": "space_war"}, format="json"
    )

    assert response.status_code == 400
    assert "story-events" in response.json()["details"]["eventType"]
    assert stories_used(user) == 0
    assert not user.stories.exists()


def test_every_published_event_type_makes_a_story(auth_client, user, settings):
    settings.RATE_LIMITS = "story_generation=100/h"
    hero = HeroFactory(user=user)
    set_quota(user, limit=len(PUBLISHED))

    for event_id in sorted(PUBLISHED):
        response = auth_client.post(
            "/api/stories",
            {"heroId": hero.id, "eventType": event_id, "generateAudio": False},
            format="json",
        )
        assert response.status_code == 201, event_id
        assert response.json()["story"]["eventType"] == event_id
