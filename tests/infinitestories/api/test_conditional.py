"""Conditional GET on story, hero and list reads: a 304 while nothing in the answer changed,
a new ETag (and the full answer) as soon as anything in it did, whoever changed it and how."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from heroes.models import Hero, HeroVisualProfile
from stories.models import Story, StoryIllustration
from tests.heroes.factories import HeroFactory, HeroVisualProfileFactory
from tests.stories.factories import StoryFactory, StoryIllustrationFactory

READS = ["/api/heroes", "/api/stories", "hero", "story"]


@pytest.fixture
def family(user):
    hero = HeroFactory(user=user, name="Luna")
    HeroVisualProfileFactory(hero=hero)
    story = StoryFactory(user=user, hero=hero)
    StoryIllustrationFactory(story=story)
    return hero, story


def url(path: str, family) -> str:
    hero, story = family
    return {
        "hero": f"/api/heroes/{hero.pk}?includeStories=true",
        "story": f"/api/stories/{story.pk}?includeIllustrations=true",
    }.get(path, path)


def revalidate(client, path: str, etag: str):
    return client.get(path, HTTP_IF_NONE_MATCH=etag)


@pytest.mark.parametrize("path", READS)
def test_an_unchanged_answer_is_304_without_a_body(auth_client, family, path):
    first = auth_client.get(url(path, family))

    again = revalidate(auth_client, url(path, family), first["ETag"])

    assert first.status_code == 200 and first["ETag"].startswith('"')
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize("path", READS)
def test_a_weak_or_listed_etag_matches_too(auth_client, family, path):
    etag = auth_client.get(url(path, family))["ETag"]

    weak = revalidate(auth_client, url(path, family), f'"other", W/{etag}')

    assert weak.status_code == 304


# Each change touches what one of the reads shows, through the ORM's .update() (updated_at
# untouched) where it can: the ETag must not rest on updated_at alone.
def rename_hero(hero, story):
    Hero.objects.filter(pk=hero.pk).update(name="Milo")


def new_story(hero, story):
    StoryFactory(user=hero.user, hero=hero)


def delete_story(hero, story):
    Story.objects.filter(pk=story.pk).delete()


def count_a_listen(hero, story):
    Story.objects.filter(pk=story.pk).update(listen_count=7)


def favourite(hero, story):
    Story.objects.filter(pk=story.pk).update(is_favorite=True)


def new_picture(hero, story):
    StoryIllustration.objects.filter(story=story).update(generation_status="failed")


def repaint_profile(hero, story):
    HeroVisualProfile.objects.filter(hero=hero).update(hair_color="red")


def new_avatar(hero, story):
    Hero.objects.filter(pk=hero.pk).update(avatar_key="avatars/new.png")


CHANGES = {
    # read -> changes that show in it
    "/api/heroes": [rename_hero, new_story, delete_story, new_avatar],
    "/api/stories": [rename_hero, new_story, delete_story, count_a_listen, favourite],
    "hero": [rename_hero, new_story, delete_story, repaint_profile, new_avatar],
    "story": [rename_hero, count_a_listen, favourite, new_picture, new_avatar],
}


@pytest.mark.parametrize(
    ("path", "change"),
    [(path, change) for path, changes in CHANGES.items() for change in changes],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_any_change_in_the_answer_changes_the_etag(auth_client, family, path, change):
    before = auth_client.get(url(path, family))

    change(*family)
    after = revalidate(auth_client, url(path, family), before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.content != before.content


@pytest.mark.parametrize("path", ["/api/heroes", "/api/stories"])
def test_another_users_etag_never_matches(auth_client, other_client, family, path):
    mine = auth_client.get(path)
    empty = other_client.get(path)

    assert other_client.get(path, HTTP_IF_NONE_MATCH=mine["ETag"]).status_code == 200
    assert auth_client.get(path, HTTP_IF_NONE_MATCH=empty["ETag"]).status_code == 200


def test_another_users_empty_list_has_another_etag(auth_client, other_client):
    mine = auth_client.get("/api/stories")
    theirs = other_client.get("/api/stories")

    assert mine.content == theirs.content
    assert mine["ETag"] != theirs["ETag"]


def test_another_page_or_order_is_another_etag(auth_client, family):
    StoryFactory(user=family[0].user, hero=family[0])
    tags = {
        auth_client.get(path)["ETag"]
        for path in ("/api/stories", "/api/stories?limit=1", "/api/stories?sortOrder=asc")
    }

    assert len(tags) == 3


def test_the_users_language_is_part_of_the_etag(auth_client, user, family):
    before = auth_client.get("/api/heroes")

    type(user).objects.filter(pk=user.pk).update(preferred_language="fr")
    after = auth_client.get("/api/heroes", HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["Content-Language"] == "fr"


def test_a_304_keeps_the_rate_limit_headers_and_counts(auth_client, family):
    first = auth_client.get("/api/heroes")

    again = revalidate(auth_client, "/api/heroes", first["ETag"])

    assert again.status_code == 304
    assert int(again["X-RateLimit-Remaining"]) == int(first["X-RateLimit-Remaining"]) - 1


def test_another_users_hero_is_404_whatever_etag(other_client, family):
    hero, _ = family
    response = other_client.get(f"/api/heroes/{hero.pk}", HTTP_IF_NONE_MATCH="*")

    assert response.status_code == 404


def test_presigned_media_urls_renew_the_etag_every_half_of_their_life(
    auth_client, family, s3_storage, settings, monkeypatch
):
    """A client that keeps an answer after a 304 keeps presigned URLs; they must still work."""
    Hero.objects.filter(pk=family[0].pk).update(avatar_key="avatars/a.png")
    now = 1_800_000_000.0
    monkeypatch.setattr("media.selectors.time", SimpleNamespace(time=lambda: now))
    before = auth_client.get("/api/heroes")
    half = settings.MEDIA_URL_EXPIRY.total_seconds() / 2
    monkeypatch.setattr("media.selectors.time", SimpleNamespace(time=lambda: now + half))

    after = revalidate(auth_client, "/api/heroes", before["ETag"])

    assert "X-Amz-Signature" in before.json()["heroes"][0]["avatarUrl"]
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]


def test_updated_at_moving_alone_changes_the_story_etag(auth_client, family):
    _, story = family
    before = auth_client.get(f"/api/stories/{story.pk}")

    Story.objects.filter(pk=story.pk).update(updated_at=timezone.now())

    assert revalidate(auth_client, f"/api/stories/{story.pk}", before["ETag"]).status_code == 200


# --- The rendered answer kept by its ETag ------------------------------------------------------


@pytest.fixture
def serializer_runs(monkeypatch):
    """How many answers the output serializers made (a kept answer makes none)."""
    from rest_framework import serializers

    runs = []
    original = serializers.ListSerializer.to_representation

    def counted(self, data):
        runs.append(type(self.child).__name__)
        return original(self, data)

    monkeypatch.setattr(serializers.ListSerializer, "to_representation", counted)
    return runs


@pytest.mark.parametrize("path", ["/api/heroes", "/api/stories"])
def test_asking_again_gets_the_kept_answer_byte_for_byte(
    auth_client, family, path, serializer_runs
):
    first = auth_client.get(path)
    made = len(serializer_runs)

    again = auth_client.get(path)

    assert again.status_code == 200
    assert again.content == first.content
    for header in ("Content-Type", "ETag", "Content-Language", "Vary"):
        assert again.get(header) == first.get(header)
    assert made >= 1 and len(serializer_runs) == made  # no serializer ran the second time


@pytest.mark.parametrize(
    ("path", "change"),
    [(path, change) for path, changes in CHANGES.items() for change in changes],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_a_changed_answer_is_never_the_kept_one(auth_client, family, path, change, settings):
    auth_client.get(url(path, family))

    change(*family)
    kept = auth_client.get(url(path, family))
    settings.ANSWER_CACHE_BYTES = 0
    fresh = auth_client.get(url(path, family))

    assert kept.content == fresh.content
    assert kept["ETag"] == fresh["ETag"]


@pytest.mark.parametrize("path", ["/api/heroes", "/api/stories"])
def test_another_user_never_gets_an_answer_kept_for_someone_else(
    auth_client, other_client, family, path
):
    mine = auth_client.get(path)

    theirs = other_client.get(path)

    assert theirs.json()["pagination"]["total"] == 0
    assert theirs.content != mine.content


def test_answers_kept_stay_within_their_bytes(auth_client, family, settings, serializer_runs):
    body = len(auth_client.get("/api/heroes").content)
    # Room for one hero list and not two: each new answer pushes the oldest out.
    settings.ANSWER_CACHE_BYTES = body + body // 2
    auth_client.get("/api/heroes")
    auth_client.get("/api/heroes?sortOrder=asc")
    made = len(serializer_runs)

    auth_client.get("/api/heroes")  # pushed out by the other order: made again
    auth_client.get("/api/heroes")  # kept

    assert len(serializer_runs) == made + 1
    settings.ANSWER_CACHE_BYTES = body - 1  # too big to keep at all: made every time
    auth_client.get("/api/heroes")
    auth_client.get("/api/heroes")
    assert len(serializer_runs) == made + 3
