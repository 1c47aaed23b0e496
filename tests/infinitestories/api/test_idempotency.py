"""An Idempotency-Key is compared whole: one that cannot be stored whole is refused, never cut."""

from stories.models import Story
from tests.helpers import assert_envelope, post_story
from tests.heroes.factories import HeroFactory
from tests.usage.factories import stories_used


def test_distinct_keys_that_share_a_long_prefix_never_replay_each_other(auth_client, user):
    hero = HeroFactory(user=user)

    first = post_story(auth_client, hero, idempotency_key="k" * 254 + "A")
    second = post_story(auth_client, hero, idempotency_key="k" * 254 + "B")

    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["story"]["id"] != first.json()["story"]["id"]
    assert Story.objects.count() == 2


def test_an_over_long_key_is_refused_and_charges_nothing(auth_client, user):
    hero = HeroFactory(user=user)

    response = post_story(auth_client, hero, idempotency_key="k" * 256)

    body = assert_envelope(response, 400, "VALIDATION_ERROR")
    assert "idempotencyKey" in body["details"]
    assert not Story.objects.exists()
    assert stories_used(user) == 0
