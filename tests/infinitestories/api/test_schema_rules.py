"""What schemathesis found against the running app (make fuzz): requests the schema allows that
the server refused, and ones it forbids that the server took. Each is pinned here; the schema
now states the rule, or the server follows the schema."""

import re

import pytest

from accounts.models import User
from heroes.models import Hero
from infinitestories.api.schema import NOT_BLANK
from stories.models import StoryIllustration
from tests.helpers import assert_envelope, post_json
from tests.heroes.factories import HeroFactory
from tests.stories.factories import StoryFactory

HERO = {"name": "Max", "age": 7, "traits": ["brave"], "appearance": "red hat"}
# Every character Python's str.isspace() names: what DRF trims before "may not be blank".
SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def test_unknown_fields_are_ignored_whatever_they_hold(auth_client):
    # Unknown keys and values with NUL used to refuse the whole body; the schema's objects are
    # open, so what the endpoint does not know is ignored.
    body = {**HERO, "nick\x00name": "x", "extra": {"deep": ["a\x00b"]}}

    response = post_json(auth_client, "/api/heroes", body)

    assert response.status_code == 201, response.content[:300]
    assert list(Hero.objects.values_list("name", "traits")) == [("Max", ["brave"])]


def test_nul_in_a_known_text_field_is_still_400(auth_client):
    response = post_json(auth_client, "/api/heroes", {**HERO, "name": "Ma\x00x"})

    assert_envelope(response, 400, "VALIDATION_ERROR")
    assert not Hero.objects.exists()


@pytest.mark.parametrize("space", SPACES, ids=lambda c: f"U+{ord(c):04X}")
def test_the_schemas_not_blank_rule_refuses_exactly_what_the_server_trims(auth_client, space):
    response = post_json(auth_client, "/api/heroes", {**HERO, "name": space * 3})

    assert re.search(NOT_BLANK, space * 3) is None
    assert_envelope(response, 400, "VALIDATION_ERROR")
    assert not Hero.objects.exists()


def test_a_character_ecma_calls_space_but_python_does_not_is_a_name(auth_client):
    # U+FEFF is whitespace to ECMA's \s, not to Python: the schema's pattern names Python's set.
    response = post_json(auth_client, "/api/heroes", {**HERO, "name": "\ufeff"})

    assert re.search(NOT_BLANK, "\ufeff")
    assert response.status_code == 201, response.content[:300]


def test_illustration_times_in_any_order_are_drawn_in_time_order(
    auth_client, user, django_capture_on_commit_callbacks
):
    # Out of order used to be a 400 the schema could not state; the times say when each
    # picture shows, so they are simply taken in time order.
    story = StoryFactory(user=user, hero=HeroFactory(user=user))

    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            auth_client,
            f"/api/stories/{story.pk}/illustrations",
            {"count": 3, "sceneTimestamps": [40, 5, 20]},
        )

    assert response.status_code == 202, response.content[:300]
    rows = StoryIllustration.objects.filter(story=story).order_by("display_order")
    assert [row.timestamp for row in rows] == [5.0, 20.0, 40.0]


def test_blank_usage_period_is_400_not_the_default(auth_client):
    response = auth_client.get("/api/user/usage?period=")

    body = assert_envelope(response, 400, "VALIDATION_ERROR")
    assert set(body["details"]) == {"period"}


@pytest.mark.parametrize("field,value", [("name", 0), ("password", 12345678)])
def test_signup_text_fields_refuse_other_json_types(client, field, value):
    body = {"email": "types@example.com", "password": "SecurePass123!", field: value}

    response = post_json(client, "/api/auth/signup", body)

    assert_envelope(response, 400, "VALIDATION_ERROR")
    assert not User.objects.exists()


def test_login_refuses_a_number_for_the_email(client):
    response = post_json(client, "/api/auth/login", {"email": 7, "password": "SecurePass123!"})

    assert_envelope(response, 400, "VALIDATION_ERROR")


def test_the_schema_states_the_rules_across_fields(auth_client, settings):
    schemas = auth_client.get("/api/schema?format=json").json()["components"]["schemas"]

    story = schemas["StoryCreateInput"]["anyOf"]
    assert [branch["required"] for branch in story] == [["eventType"], ["customEventId"]]
    consent = schemas["ConsentInput"]["properties"]
    assert consent["policyVersion"]["enum"] == [settings.PARENTAL_CONSENT_POLICY_VERSION]
    assert consent["aiProcessing"]["enum"] == [True]
    upload = schemas["UploadInput"]["anyOf"]
    assert [branch["properties"]["category"]["enum"] for branch in upload] == [
        ["audio"],
        ["avatar"],
        ["illustration"],
        ["pictogram"],
    ]
    assert schemas["HeroInput"]["properties"]["traits"]["uniqueItems"] is True
