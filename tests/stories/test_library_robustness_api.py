"""Malformed, mistyped or oversized requests to the library answer the envelope (400/404/413),
never a 500, and write nothing."""

import pytest

from heroes.models import Hero
from media.models import FileUpload
from stories.models import CustomStoryEvent
from tests.heroes.factories import HeroFactory
from tests.stories.factories import CustomStoryEventFactory, StoryFactory

HUGE = "x" * (2 * 1024 * 1024)


@pytest.fixture
def library(user):
    hero = HeroFactory(user=user, name="Alice")
    return {
        "hero": hero,
        "story": StoryFactory(user=user, hero=hero, title="Original"),
        "event": CustomStoryEventFactory(user=user),
    }


def targets(library):
    return [
        ("post", "/api/heroes"),
        ("patch", f"/api/heroes/{library['hero'].id}"),
        ("patch", f"/api/stories/{library['story'].id}"),
        ("post", "/api/custom-events"),
        ("patch", f"/api/custom-events/{library['event'].id}"),
        ("patch", "/api/user/profile"),
        ("post", "/api/files/upload"),
    ]


def unchanged(library, user):
    library["hero"].refresh_from_db()
    library["story"].refresh_from_db()
    library["event"].refresh_from_db()
    user.refresh_from_db()
    assert library["hero"].name == "Alice"
    assert library["story"].title == "Original"
    assert library["event"].title == "First lost tooth"
    assert Hero.objects.count() == 1
    assert CustomStoryEvent.objects.count() == 1
    assert FileUpload.objects.count() == 0


def test_malformed_json_is_400_everywhere(auth_client, user, library):
    for method, url in targets(library):
        response = getattr(auth_client, method)(url, "{oops", content_type="application/json")

        assert response.status_code == 400, url
        assert response.json()["code"] == "MALFORMED_JSON", url
    unchanged(library, user)


def test_a_json_array_body_is_400_everywhere(auth_client, user, library):
    for method, url in targets(library):
        response = getattr(auth_client, method)(url, ["name"], format="json")

        assert response.status_code == 400, url
        assert response.json()["code"] == "VALIDATION_ERROR", url
    unchanged(library, user)


def test_huge_bodies_are_413_everywhere(auth_client, user, library):
    for method, url in targets(library):
        response = getattr(auth_client, method)(url, {"title": HUGE, "name": HUGE}, format="json")

        assert response.status_code == 413, url
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE", url
    unchanged(library, user)


def test_a_non_json_content_type_is_415(auth_client, user, library):
    response = auth_client.patch(
        f"/api/stories/{library['story'].id}", "title=x", content_type="text/plain"
    )

    assert response.status_code == 415
    unchanged(library, user)


def test_nested_objects_where_strings_belong_are_400(auth_client, user, library):
    response = auth_client.patch(
        f"/api/stories/{library['story'].id}", {"title": {"$set": "x"}}, format="json"
    )

    assert response.status_code == 400
    unchanged(library, user)


def test_unknown_custom_event_is_404(auth_client):
    assert auth_client.get("/api/custom-events/evt_nope").status_code == 404
    assert auth_client.delete("/api/custom-events/evt_nope").status_code == 404


def test_unknown_ids_of_every_kind_are_404(auth_client):
    for method, url in [
        ("get", "/api/heroes/hero_nope"),
        ("patch", "/api/heroes/hero_nope"),
        ("delete", "/api/heroes/hero_nope"),
        ("get", "/api/stories/story_nope"),
        ("patch", "/api/stories/story_nope"),
        ("delete", "/api/stories/story_nope"),
        ("post", "/api/stories/story_nope/listen"),
        ("get", "/api/stories/story_nope/illustrations"),
        ("delete", "/api/stories/story_nope/illustrations/ill_nope"),
    ]:
        response = getattr(auth_client, method)(url, {}, format="json")

        assert response.status_code == 404, url
        assert response.json()["code"] == "NOT_FOUND", url
