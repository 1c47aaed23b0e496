from datetime import timedelta

from django.utils import timezone

from infinitestories.api import idempotency
from infinitestories.api.models import IdempotencyRecord
from stories.models import Story
from tests.fakes.fixtures import fake_openai, openai_provider  # noqa: F401
from tests.helpers import post_story
from tests.heroes.factories import HeroFactory
from tests.usage.factories import stories_used


def _reserve(user, hero, key, *, minutes_ago: float) -> IdempotencyRecord:
    """A reservation left by a request that never finished (its worker was killed)."""
    body = {"hero_id": hero.pk, "event_type": "bedtime", "generate_audio": False}
    record = IdempotencyRecord.objects.create(
        user=user,
        endpoint="stories.create",
        key=key,
        request_hash=idempotency.request_fingerprint(body),
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return record


def test_a_request_still_running_answers_409_with_retry_after(auth_client, user):
    hero = HeroFactory(user=user)
    _reserve(user, hero, "key-1", minutes_ago=0)

    response = post_story(auth_client, hero, idempotency_key="key-1")

    assert response.status_code == 409
    assert response.json()["code"] == "REQUEST_IN_PROGRESS"
    assert response["Retry-After"] == "2"
    assert not Story.objects.exists()


def test_an_abandoned_reservation_is_taken_over_and_charged_once(auth_client, user):
    hero = HeroFactory(user=user)
    _reserve(user, hero, "key-1", minutes_ago=10)

    first = post_story(auth_client, hero, idempotency_key="key-1")
    replay = post_story(auth_client, hero, idempotency_key="key-1")

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert Story.objects.count() == 1
    assert stories_used(user) == 1


def test_answers_are_kept_a_day_then_purged(user):
    hero = HeroFactory(user=user)
    old = _reserve(user, hero, "old", minutes_ago=25 * 60)
    recent = _reserve(user, hero, "recent", minutes_ago=60)

    assert idempotency.idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()


def test_a_request_out_of_time_answers_503_and_releases_its_key_at_once(
    auth_client,
    user,
    openai_provider,  # noqa: F811
    settings,
):
    # given a vendor that writes stories slower than the web timeout allows
    settings.WEB_TIMEOUT = 2
    openai_provider.delay["/v1/chat/completions"] = 5
    hero = HeroFactory(user=user)

    # when a story is asked for with an Idempotency-Key
    response = post_story(auth_client, hero, idempotency_key="key-1")

    # then the request gives up with 503, its key released and nothing charged
    assert (response.status_code, response.json()["code"]) == (503, "AI_UNAVAILABLE")
    assert not IdempotencyRecord.objects.exists()
    assert stories_used(user) == 0
    # and the retry runs at once (no 409) and, the vendor back to speed, writes the story once
    openai_provider.delay.clear()
    retry = post_story(auth_client, hero, idempotency_key="key-1")
    assert retry.status_code == 201
    assert Story.objects.count() == 1
