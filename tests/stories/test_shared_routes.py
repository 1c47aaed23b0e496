"""/api/stories and .../illustrations serve both the library (GET) and generation (POST)."""

from tests.heroes.factories import HeroFactory
from tests.stories.factories import StoryFactory


def test_stories_path_creates_with_post_and_lists_with_get(auth_client, user):
    hero = HeroFactory(user=user)

    created = auth_client.post(
        "/api/stories",
        {"heroId": hero.id, "eventType": "bedtime", "generateAudio": False},
        format="json",
    )
    listed = auth_client.get("/api/stories")

    assert created.status_code == 201
    assert [row["id"] for row in listed.json()["stories"]] == [created.json()["story"]["id"]]


def test_illustrations_path_queues_with_post_and_lists_with_get(
    auth_client, user, django_capture_on_commit_callbacks
):
    story = StoryFactory(user=user)

    with django_capture_on_commit_callbacks(execute=True):
        queued = auth_client.post(
            f"/api/stories/{story.id}/illustrations", {"count": 2}, format="json"
        )
    listed = auth_client.get(f"/api/stories/{story.id}/illustrations")

    assert queued.status_code == 202
    assert len(listed.json()["illustrations"]) == 2


def test_other_methods_on_shared_paths_are_405(auth_client, user):
    story = StoryFactory(user=user)

    for path in ("/api/stories", f"/api/stories/{story.id}/illustrations"):
        response = auth_client.put(path, {}, format="json")
        assert response.status_code == 405
        assert response.json()["code"] == "METHOD_NOT_ALLOWED"
