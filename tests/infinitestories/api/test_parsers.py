"""Bodies that are JSON by the letter but break the parser or the renderer."""

import json

import pytest

from accounts.models import User
from heroes.models import Hero
from stories.models import CustomStoryEvent, Story
from tests.helpers import assert_envelope
from tests.heroes.factories import HeroFactory

DEEP = (
    "[" * 100_000 + "]" * 100_000
)  # 200 kB: under the 1 MB cap, far over Python's recursion limit


def test_deeply_nested_json_on_signup_is_malformed_json_not_500(client):
    client.raise_request_exception = False

    response = client.post("/api/auth/signup", DEEP, content_type="application/json")

    assert_envelope(response, 400, "MALFORMED_JSON")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "method,path",
    [("post", "/api/heroes"), ("post", "/api/files/upload"), ("patch", "/api/user/profile")],
)
def test_deeply_nested_json_on_authenticated_endpoints_is_malformed_json(auth_client, method, path):
    auth_client.raise_request_exception = False

    response = getattr(auth_client, method)(path, DEEP, content_type="application/json")

    assert_envelope(response, 400, "MALFORMED_JSON")
    assert not Hero.objects.exists()


# A lone surrogate ("\udcff") is a legal JSON escape; ChoiceField echoes the bad value in its
# message, and the UTF-8 renderer then cannot encode the error answer.
LONE = "\udcff"


def _post_json(api, method, path, body):
    return getattr(api, method)(path, json.dumps(body), content_type="application/json")


def test_lone_surrogate_in_hero_trait_is_400(auth_client):
    auth_client.raise_request_exception = False
    body = {"name": "Max", "age": 7, "traits": [LONE], "appearance": "red hat"}

    response = _post_json(auth_client, "post", "/api/heroes", body)

    assert_envelope(response, 400, "VALIDATION_ERROR")
    assert not Hero.objects.exists()


def test_lone_surrogate_in_custom_event_tone_is_400(auth_client):
    auth_client.raise_request_exception = False
    body = {"title": "Zoo", "promptSeed": "a trip to the zoo", "category": "fun", "tone": LONE}

    response = _post_json(auth_client, "post", "/api/custom-events", body)

    assert_envelope(response, 400, "VALIDATION_ERROR")
    assert not CustomStoryEvent.objects.exists()


def test_lone_surrogate_in_preferred_language_is_400(auth_client, user):
    auth_client.raise_request_exception = False

    response = _post_json(auth_client, "patch", "/api/user/profile", {"preferredLanguage": LONE})

    assert_envelope(response, 400, "VALIDATION_ERROR")
    user.refresh_from_db()
    assert user.preferred_language == "en"


def test_lone_surrogate_in_story_voice_is_400(auth_client, user):
    auth_client.raise_request_exception = False
    hero = HeroFactory(user=user)
    body = {"heroId": hero.pk, "eventType": "bedtime", "voice": LONE}

    response = _post_json(auth_client, "post", "/api/stories", body)

    assert_envelope(response, 400, "VALIDATION_ERROR")
    assert not Story.objects.exists()
