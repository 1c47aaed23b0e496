"""Custom story events (PRD P1): CRUD at /api/custom-events; built-in types at /api/story-events."""

import pytest

from media import selectors as media_selectors
from media import services as media_services
from stories.events import STORY_EVENTS
from stories.models import CustomStoryEvent
from tests.stories.factories import CustomStoryEventFactory, StoryFactory

NEW_EVENT = {
    "title": "First lost tooth",
    "description": "The night the tooth fairy comes",
    "promptSeed": "A story about losing a first tooth",
    "keywords": ["tooth", "fairy"],
    "category": "milestone",
    "ageRange": "4-7",
    "tone": "gentle",
    "pictogramEmoji": "🦷",
    "isFavorite": True,
}
EVENT_KEYS = {
    "id",
    "title",
    "description",
    "promptSeed",
    "keywords",
    "category",
    "ageRange",
    "tone",
    "pictogramEmoji",
    "pictogramUrl",
    "usageCount",
    "lastUsedAt",
    "isFavorite",
    "aiEnhanced",
    "createdAt",
    "updatedAt",
}


def test_create_answers_201_with_the_event(auth_client, user):
    response = auth_client.post("/api/custom-events", NEW_EVENT, format="json")

    assert response.status_code == 201
    event = response.json()["customEvent"]
    assert set(event) == EVENT_KEYS
    assert event["id"].startswith("evt_")
    assert {k: event[k] for k in NEW_EVENT} == NEW_EVENT
    assert (event["usageCount"], event["lastUsedAt"], event["pictogramUrl"]) == (0, None, None)
    assert CustomStoryEvent.objects.get().user == user


def test_create_ignores_server_owned_fields(auth_client):
    body = {
        **NEW_EVENT,
        "usageCount": 99,
        "lastUsedAt": "2025-01-01T00:00:00Z",
        "aiEnhanced": True,
        "originalPrompt": "x",
    }

    response = auth_client.post("/api/custom-events", body, format="json")

    assert response.status_code == 201
    event = CustomStoryEvent.objects.get()
    assert (event.usage_count, event.last_used_at, event.ai_enhanced, event.original_prompt) == (
        0,
        None,
        False,
        "",
    )


def test_create_with_only_required_fields_uses_defaults(auth_client):
    body = {"title": "Snow day", "promptSeed": "Playing in the snow", "category": "nature"}

    response = auth_client.post("/api/custom-events", body, format="json")

    assert response.status_code == 201
    event = response.json()["customEvent"]
    assert (event["tone"], event["keywords"], event["isFavorite"]) == ("gentle", [], False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"promptSeed": ""}, "promptSeed"),
        ({"category": 3}, "category"),
        ({"keywords": "tooth"}, "keywords"),
        ({"keywords": ["k"] * 11}, "keywords"),
        ({"ageRange": "toddlers"}, "ageRange"),
        ({"tone": "scary"}, "tone"),
        ({"isFavorite": "true"}, "isFavorite"),
    ],
)
def test_create_validates(auth_client, change, field):
    response = auth_client.post("/api/custom-events", {**NEW_EVENT, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()["details"]
    assert CustomStoryEvent.objects.count() == 0


def test_list_shows_only_own_events_with_filters(auth_client, user, other_user):
    fav = CustomStoryEventFactory(user=user, is_favorite=True, category="milestone")
    plain = CustomStoryEventFactory(user=user, category="family")
    CustomStoryEventFactory(user=other_user)

    everything = auth_client.get("/api/custom-events").json()
    favorites = auth_client.get("/api/custom-events?isFavorite=true").json()
    family = auth_client.get("/api/custom-events?category=family").json()

    assert everything["pagination"] == {"total": 2, "limit": 50, "offset": 0}
    assert {e["id"] for e in everything["customEvents"]} == {fav.id, plain.id}
    assert set(everything["customEvents"][0]) == EVENT_KEYS
    assert [e["id"] for e in favorites["customEvents"]] == [fav.id]
    assert [e["id"] for e in family["customEvents"]] == [plain.id]


def test_list_sorts_by_usage_count(auth_client, user):
    low = CustomStoryEventFactory(user=user, usage_count=1)
    high = CustomStoryEventFactory(user=user, usage_count=7)

    rows = auth_client.get("/api/custom-events?sortBy=usageCount").json()["customEvents"]

    assert [e["id"] for e in rows] == [high.id, low.id]


def test_list_rejects_bad_sort(auth_client):
    assert auth_client.get("/api/custom-events?sortBy=secret").status_code == 400


@pytest.mark.parametrize("count", [1, 30])
def test_list_runs_a_constant_number_of_queries(
    auth_client, user, count, django_assert_num_queries
):
    CustomStoryEventFactory.create_batch(count, user=user)

    # session lookup, page (not full: no COUNT)
    with django_assert_num_queries(2):
        response = auth_client.get("/api/custom-events?limit=100")

    assert len(response.json()["customEvents"]) == count


def test_detail(auth_client, user):
    event = CustomStoryEventFactory(user=user)

    response = auth_client.get(f"/api/custom-events/{event.id}")

    assert response.status_code == 200
    assert response.json()["customEvent"]["id"] == event.id


def test_other_users_event_detail_is_404(auth_client, other_user):
    event = CustomStoryEventFactory(user=other_user)

    assert auth_client.get(f"/api/custom-events/{event.id}").status_code == 404


def test_patch_updates_given_fields_and_not_server_owned_ones(auth_client, user):
    event = CustomStoryEventFactory(user=user, usage_count=4)

    response = auth_client.patch(
        f"/api/custom-events/{event.id}",
        {"title": "Second lost tooth", "isFavorite": True, "usageCount": 0},
        format="json",
    )

    assert response.status_code == 200
    event.refresh_from_db()
    assert (event.title, event.is_favorite, event.usage_count) == ("Second lost tooth", True, 4)
    assert event.prompt_seed == "A story about losing a first tooth and the tooth fairy's visit"


def test_patch_invalid_is_400_and_changes_nothing(auth_client, user):
    event = CustomStoryEventFactory(user=user)

    response = auth_client.patch(
        f"/api/custom-events/{event.id}", {"title": "New", "tone": "scary"}, format="json"
    )

    assert response.status_code == 400
    event.refresh_from_db()
    assert event.title == "First lost tooth"


def test_patch_other_users_event_is_404_and_changes_nothing(auth_client, other_user):
    event = CustomStoryEventFactory(user=other_user)

    response = auth_client.patch(f"/api/custom-events/{event.id}", {"title": "x"}, format="json")

    assert response.status_code == 404
    event.refresh_from_db()
    assert event.title == "First lost tooth"


def test_delete_keeps_stories_and_removes_pictogram(
    auth_client, user, django_capture_on_commit_callbacks
):
    key = media_services.media_save(
        category="pictogram", content=b"x", extension="png", content_type="image/png"
    )
    event = CustomStoryEventFactory(user=user, pictogram_key=key)
    story = StoryFactory(user=user, custom_event=event)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/custom-events/{event.id}")

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert not CustomStoryEvent.objects.exists()
    story.refresh_from_db()
    assert story.custom_event is None
    assert not media_selectors.media_exists(key=key)


def test_delete_other_users_event_is_404_and_deletes_nothing(auth_client, other_user):
    event = CustomStoryEventFactory(user=other_user)

    response = auth_client.delete(f"/api/custom-events/{event.id}")

    assert response.status_code == 404
    assert CustomStoryEvent.objects.filter(pk=event.pk).exists()


# --- built-in story events -------------------------------------------------------------------


def test_story_events_are_titled_in_the_users_language(auth_client, user):
    user.preferred_language = "fr"
    user.save()

    response = auth_client.get("/api/story-events")

    assert response.status_code == 200
    events = {e["id"]: e for e in response.json()["events"]}
    assert {"bedtime", "adventure", "birthday", "first_day_of_school"} <= set(events)
    assert events["birthday"]["title"] == "Anniversaire"
    assert set(events["birthday"]) == {"id", "emoji", "category", "title", "titles"}


def test_story_events_language_parameter_wins(auth_client):
    events = auth_client.get("/api/story-events?language=de").json()["events"]

    assert {e["id"]: e["title"] for e in events}["first_day_of_school"] == "Erster Schultag"


def test_every_story_event_has_all_five_languages():
    for event in STORY_EVENTS:
        assert set(event.titles) == {"en", "es", "fr", "de", "it"}
        assert all(event.titles.values())


def test_story_events_reject_unknown_language(auth_client):
    assert auth_client.get("/api/story-events?language=xx").status_code == 400


def test_a_custom_event_with_flagged_text_is_refused_and_not_saved(auth_client):
    response = auth_client.post(
        "/api/custom-events",
        {"title": "Battle", "promptSeed": "a story full of blood", "category": "adventure"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "CONTENT_REJECTED"
    assert not CustomStoryEvent.objects.exists()
