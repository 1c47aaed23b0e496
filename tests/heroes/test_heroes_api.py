"""Heroes, PRD 6.2 (without avatar generation)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from heroes.models import Hero, HeroVisualProfile
from heroes.traits import VALID_TRAITS
from media import selectors as media_selectors
from media import services as media_services
from stories.models import Story
from tests.heroes.factories import HeroFactory, HeroVisualProfileFactory
from tests.stories.factories import StoryFactory

NEW_HERO = {
    "name": "Bob",
    "age": 6,
    "traits": ["curious", "playful"],
    "appearance": "Short brown hair, green eyes",
    "abilities": ["super speed"],
}
LIST_ROW_KEYS = {
    "id",
    "name",
    "age",
    "traits",
    "appearance",
    "abilities",
    "avatarUrl",
    "createdAt",
    "storyCount",
}
DETAIL_KEYS = {
    "id",
    "name",
    "age",
    "traits",
    "appearance",
    "abilities",
    "avatarUrl",
    "avatarGenerationId",
    "avatarPrompt",
    "visualProfile",
    "createdAt",
    "updatedAt",
}


# --- list -----------------------------------------------------------------------------------


def test_list_shows_own_heroes_with_story_count(auth_client, user, other_user):
    # given
    alice = HeroFactory(user=user, name="Alice")
    StoryFactory.create_batch(3, user=user, hero=alice)
    HeroFactory(user=user, name="Milo")
    HeroFactory(user=other_user, name="Stranger")

    # when
    response = auth_client.get("/api/heroes")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"total": 2, "limit": 50, "offset": 0}
    assert [row["name"] for row in body["heroes"]] == ["Milo", "Alice"]  # newest first
    row = body["heroes"][1]
    assert set(row) == LIST_ROW_KEYS
    assert row["storyCount"] == 3
    assert row["id"] == alice.id
    assert row["traits"] == ["brave", "kind"]
    assert row["avatarUrl"] is None
    assert body["heroes"][0]["storyCount"] == 0


def test_list_sorts_by_name_ascending_and_paginates(auth_client, user):
    for name in ["Zed", "Alice", "Milo"]:
        HeroFactory(user=user, name=name)

    response = auth_client.get("/api/heroes?sortBy=name&sortOrder=asc&limit=2&offset=1")

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["heroes"]] == ["Milo", "Zed"]
    assert response.json()["pagination"] == {"total": 3, "limit": 2, "offset": 1}


def test_list_sorted_by_created_at_ascending(auth_client, user):
    old = HeroFactory(user=user, name="Old")
    Hero.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    HeroFactory(user=user, name="New")

    response = auth_client.get("/api/heroes?sortBy=createdAt&sortOrder=asc")

    assert [row["name"] for row in response.json()["heroes"]] == ["Old", "New"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sortBy=age", "sortBy"),
        ("sortOrder=up", "sortOrder"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
    ],
)
def test_list_rejects_bad_query_params(auth_client, query, field):
    response = auth_client.get(f"/api/heroes?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in response.json()["details"]


def test_list_shows_avatar_url(auth_client, user):
    key = media_services.media_save(
        category="avatar", content=b"x", extension="png", content_type="image/png"
    )
    HeroFactory(user=user, avatar_key=key)

    row = auth_client.get("/api/heroes").json()["heroes"][0]

    assert row["avatarUrl"] == f"http://testserver/media/{key}"


@pytest.mark.parametrize("count", [1, 30])
def test_list_runs_a_constant_number_of_queries(
    auth_client, user, count, django_assert_num_queries
):
    for hero in HeroFactory.create_batch(count, user=user):
        StoryFactory(user=user, hero=hero)

    # session lookup, page (not full: no COUNT)
    with django_assert_num_queries(2):
        response = auth_client.get("/api/heroes?limit=100")

    assert len(response.json()["heroes"]) == count


def test_list_needs_a_session(client):
    response = client.get("/api/heroes")

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


# --- create ---------------------------------------------------------------------------------


def test_create_answers_201_with_the_hero(auth_client, user):
    response = auth_client.post("/api/heroes", NEW_HERO, format="json")

    assert response.status_code == 201
    hero = response.json()["hero"]
    assert set(hero) == DETAIL_KEYS
    assert hero["id"].startswith("hero_")
    assert {k: hero[k] for k in NEW_HERO} == NEW_HERO
    assert hero["avatarUrl"] is None
    assert hero["visualProfile"] is None
    saved = Hero.objects.get(pk=hero["id"])
    assert saved.user == user
    assert saved.traits == ["curious", "playful"]


def test_create_without_abilities_stores_an_empty_list(auth_client):
    body = {k: v for k, v in NEW_HERO.items() if k != "abilities"}

    response = auth_client.post("/api/heroes", body, format="json")

    assert response.status_code == 201
    assert response.json()["hero"]["abilities"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 42}, "name"),
        ({"age": 0}, "age"),
        ({"age": 19}, "age"),
        ({"age": "7"}, "age"),
        ({"age": True}, "age"),
        ({"age": 7.5}, "age"),
        ({"traits": []}, "traits"),
        ({"traits": ["brave", "kind", "clever", "funny", "shy", "calm"]}, "traits"),
        ({"traits": ["evil"]}, "traits"),
        ({"traits": ["brave", "brave"]}, "traits"),
        ({"traits": "brave"}, "traits"),
        ({"appearance": "x" * 501}, "appearance"),
        ({"abilities": ["a", "b", "c", "d"]}, "abilities"),
        ({"abilities": [1]}, "abilities"),
    ],
)
def test_create_validates_as_the_prd_says(auth_client, change, field):
    response = auth_client.post("/api/heroes", {**NEW_HERO, **change}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in response.json()["details"]
    assert Hero.objects.count() == 0


@pytest.mark.parametrize("missing", ["name", "age", "traits", "appearance"])
def test_create_requires_fields(auth_client, missing):
    body = {k: v for k, v in NEW_HERO.items() if k != missing}

    response = auth_client.post("/api/heroes", body, format="json")

    assert response.status_code == 400
    assert missing in response.json()["details"]


def test_create_ignores_server_owned_fields(auth_client):
    body = {**NEW_HERO, "avatarUrl": "https://evil.example/x.png", "id": "hero_mine", "userId": "x"}

    response = auth_client.post("/api/heroes", body, format="json")

    assert response.status_code == 201
    hero = Hero.objects.get()
    assert hero.pk != "hero_mine"
    assert hero.avatar_key == ""


def test_create_with_malformed_json_is_400(auth_client):
    response = auth_client.post("/api/heroes", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "MALFORMED_JSON"
    assert Hero.objects.count() == 0


def test_create_with_a_huge_body_is_413(auth_client):
    body = {**NEW_HERO, "appearance": "x" * (2 * 1024 * 1024)}

    response = auth_client.post("/api/heroes", body, format="json")

    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert Hero.objects.count() == 0


def test_create_with_a_json_array_body_is_400(auth_client):
    response = auth_client.post("/api/heroes", [NEW_HERO], format="json")

    assert response.status_code == 400
    assert Hero.objects.count() == 0


def test_create_is_rate_limited_at_10_per_minute(auth_client):
    codes = [
        auth_client.post("/api/heroes", NEW_HERO, format="json").status_code for _ in range(11)
    ]

    assert codes == [201] * 10 + [429]
    assert Hero.objects.count() == 10


def test_every_prd_example_trait_is_valid():
    for trait in ["brave", "kind", "curious", "playful", "clever"]:
        assert trait in VALID_TRAITS


def test_traits_endpoint_publishes_the_list(auth_client):
    response = auth_client.get("/api/heroes/traits")

    assert response.status_code == 200
    assert response.json() == {"traits": list(VALID_TRAITS)}


# --- detail ---------------------------------------------------------------------------------


def test_detail_has_visual_profile(auth_client, user):
    profile = HeroVisualProfileFactory(hero__user=user, hero__avatar_generation_id="gen_xyz")

    response = auth_client.get(f"/api/heroes/{profile.hero_id}")

    assert response.status_code == 200
    hero = response.json()["hero"]
    assert set(hero) == DETAIL_KEYS
    assert hero["avatarGenerationId"] == "gen_xyz"
    assert hero["visualProfile"]["hairColor"] == "blonde"
    assert hero["visualProfile"]["hairStyle"] == "curly"
    assert hero["visualProfile"]["eyeColor"] == "blue"
    assert hero["visualProfile"]["skinTone"] == "light"
    assert hero["visualProfile"]["clothingStyle"] == "wizard robes"
    assert hero["visualProfile"]["artStyle"] == "watercolor"
    assert hero["visualProfile"]["colorPalette"] == ["sky blue", "gold"]


def test_detail_includes_recent_stories_when_asked(auth_client, user):
    hero = HeroFactory(user=user)
    stories = StoryFactory.create_batch(4, user=user, hero=hero)
    for age, story in enumerate(stories):
        Story.objects.filter(pk=story.pk).update(created_at=timezone.now() - timedelta(hours=age))

    response = auth_client.get(f"/api/heroes/{hero.id}?includeStories=true&storyLimit=2")

    assert response.status_code == 200
    listed = response.json()["hero"]["stories"]
    assert [s["id"] for s in listed] == [stories[0].id, stories[1].id]
    assert set(listed[0]) == {"id", "title", "createdAt"}


def test_detail_without_include_stories_has_no_stories_key(auth_client, user):
    hero = HeroFactory(user=user)
    StoryFactory(user=user, hero=hero)

    response = auth_client.get(f"/api/heroes/{hero.id}")

    assert "stories" not in response.json()["hero"]


@pytest.mark.parametrize("query", ["includeStories=maybe", "storyLimit=0", "storyLimit=x"])
def test_detail_rejects_bad_query_params(auth_client, user, query):
    hero = HeroFactory(user=user)

    assert auth_client.get(f"/api/heroes/{hero.id}?{query}").status_code == 400


def test_other_users_hero_detail_is_404(auth_client, other_user):
    hero = HeroFactory(user=other_user)

    response = auth_client.get(f"/api/heroes/{hero.id}")

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_unknown_hero_is_404(auth_client):
    assert auth_client.get("/api/heroes/hero_doesnotexist").status_code == 404


# --- update ---------------------------------------------------------------------------------


def test_patch_updates_only_given_fields(auth_client, user):
    hero = HeroFactory(user=user, name="Alice", age=7)

    response = auth_client.patch(
        f"/api/heroes/{hero.id}",
        {"name": "Alice (Updated)", "traits": ["brave", "kind", "clever"]},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()["hero"]
    assert body["name"] == "Alice (Updated)"
    assert body["traits"] == ["brave", "kind", "clever"]
    assert body["age"] == 7
    hero.refresh_from_db()
    assert (hero.name, hero.age) == ("Alice (Updated)", 7)


def test_patch_ignores_server_owned_fields(auth_client, user):
    hero = HeroFactory(user=user, avatar_key="avatars/old.png")

    response = auth_client.patch(
        f"/api/heroes/{hero.id}",
        {"avatarUrl": "https://evil.example/x.png", "avatarGenerationId": "gen_fake", "age": 8},
        format="json",
    )

    assert response.status_code == 200
    hero.refresh_from_db()
    assert (hero.avatar_key, hero.avatar_generation_id, hero.age) == ("avatars/old.png", "", 8)


@pytest.mark.parametrize(
    "body", [{"age": 30}, {"traits": ["evil"]}, {"name": None}, {"name": "ok", "age": "8"}]
)
def test_patch_with_invalid_fields_is_400_and_changes_nothing(auth_client, user, body):
    hero = HeroFactory(user=user, name="Alice", age=7)

    response = auth_client.patch(f"/api/heroes/{hero.id}", body, format="json")

    assert response.status_code == 400
    hero.refresh_from_db()
    assert (hero.name, hero.age, hero.traits) == ("Alice", 7, ["brave", "kind"])


def test_patch_other_users_hero_is_404_and_changes_nothing(auth_client, other_user):
    hero = HeroFactory(user=other_user, name="Theirs")

    response = auth_client.patch(f"/api/heroes/{hero.id}", {"name": "Mine"}, format="json")

    assert response.status_code == 404
    hero.refresh_from_db()
    assert hero.name == "Theirs"


# --- delete ---------------------------------------------------------------------------------


def test_delete_hero_keeps_its_stories_unlinked(
    auth_client, user, django_capture_on_commit_callbacks
):
    # given a hero with an avatar file, a visual profile and two stories
    key = media_services.media_save(
        category="avatar", content=b"x", extension="png", content_type="image/png"
    )
    hero = HeroFactory(user=user, avatar_key=key)
    HeroVisualProfileFactory(hero=hero)
    stories = StoryFactory.create_batch(2, user=user, hero=hero)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/heroes/{hero.id}")

    # then
    assert response.status_code == 200
    assert response.json() == {"success": True, "storiesAffected": 2}
    assert not Hero.objects.filter(pk=hero.pk).exists()
    assert HeroVisualProfile.objects.count() == 0
    for story in stories:
        story.refresh_from_db()
        assert story.hero is None
        assert story.user == user
    assert not media_selectors.media_exists(key=key)
    # the unlinked stories are still listed for their owner
    assert auth_client.get("/api/stories").json()["pagination"]["total"] == 2


def test_delete_other_users_hero_is_404_and_deletes_nothing(
    auth_client, other_user, django_capture_on_commit_callbacks
):
    key = media_services.media_save(
        category="avatar", content=b"x", extension="png", content_type="image/png"
    )
    hero = HeroFactory(user=other_user, avatar_key=key)
    StoryFactory(user=other_user, hero=hero)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = auth_client.delete(f"/api/heroes/{hero.id}")

    assert response.status_code == 404
    assert Hero.objects.filter(pk=hero.pk).exists()
    assert Story.objects.get().hero_id == hero.pk
    assert callbacks == []
    assert media_selectors.media_exists(key=key)


def test_a_hero_with_flagged_text_is_refused_and_not_saved(auth_client):
    response = auth_client.post(
        "/api/heroes",
        {"name": "Max", "age": 7, "traits": ["brave"], "appearance": "holds a gun"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "CONTENT_REJECTED"
    assert not Hero.objects.exists()


def test_an_edit_with_flagged_text_is_refused_and_changes_nothing(auth_client, user):
    hero = HeroFactory(user=user, abilities=["magic"])

    response = auth_client.patch(
        f"/api/heroes/{hero.id}", {"abilities": ["knife throwing"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "CONTENT_REJECTED"
    hero.refresh_from_db()
    assert hero.abilities == ["magic"]
