"""Idempotency-Key is cut to 255 characters before lookup: two different long keys collide."""

import json

from stories.models import Story
from tests.heroes.factories import HeroFactory


def test_distinct_long_idempotency_keys_never_replay_each_other(auth_client, user):
    hero = HeroFactory(user=user)
    body = json.dumps({"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False})
    prefix = "k" * 255

    first = auth_client.post(
        "/api/stories", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=prefix + "A"
    )
    second = auth_client.post(
        "/api/stories", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=prefix + "B"
    )

    assert first.status_code == 201
    # A different key is a different request: either a new story, or the over-long key refused.
    assert second.status_code in (201, 400), second.content[:300]
    assert "Idempotent-Replayed" not in second.headers
    if second.status_code == 201:
        assert second.json()["story"]["id"] != first.json()["story"]["id"]
        assert Story.objects.count() == 2
    else:
        assert second.json()["code"] == "VALIDATION_ERROR"
        assert Story.objects.count() == 1
