"""Every file URL the app receives is absolute, as the PRD shows: on local files (development)
it points at the host the app called, so a phone on the same network can fetch it; on a bucket
it is the bucket's public or presigned URL."""

import pytest

from tests.helpers import saved_file
from tests.heroes.factories import HeroFactory
from tests.stories.factories import (
    CustomStoryEventFactory,
    StoryFactory,
    StoryIllustrationFactory,
)

HOST = "192.168.1.20:8000"  # the developer's laptop as the phone reaches it


@pytest.fixture
def library(user, settings):
    settings.ALLOWED_HOSTS = ["192.168.1.20"]
    hero = HeroFactory(user=user, avatar_key=saved_file("avatar", "png"))
    story = StoryFactory(
        user=user, hero=hero, audio_key=saved_file("audio", "mp3"), audio_generated=True
    )
    picture = StoryIllustrationFactory(story=story, image_key=saved_file("illustration", "png"))
    event = CustomStoryEventFactory(user=user, pictogram_key=saved_file("pictogram", "png"))
    return hero, story, picture, event


def test_every_file_url_points_at_the_host_the_app_called(auth_client, library):
    hero, story, picture, event = library

    def get(path: str) -> dict:
        answer = auth_client.get(path, HTTP_HOST=HOST)
        assert answer.status_code == 200, (path, answer.content)
        return answer.json()

    base = f"http://{HOST}/media/"
    assert get(f"/api/heroes/{hero.pk}")["hero"]["avatarUrl"] == base + hero.avatar_key
    assert get("/api/heroes")["heroes"][0]["avatarUrl"] == base + hero.avatar_key
    assert get("/api/stories")["stories"][0]["audioUrl"] == base + story.audio_key
    detail = get(f"/api/stories/{story.pk}?includeIllustrations=true")["story"]
    assert detail["audioUrl"] == base + story.audio_key
    assert detail["hero"]["avatarUrl"] == base + hero.avatar_key
    assert detail["illustrations"][0]["imageUrl"] == base + picture.image_key
    pictures = get(f"/api/stories/{story.pk}/illustrations")["illustrations"]
    assert pictures[0]["imageUrl"] == base + picture.image_key
    assert get(f"/api/stories/{story.pk}/audio/status")["audioUrl"] == base + story.audio_key
    assert (
        get(f"/api/custom-events/{event.pk}")["customEvent"]["pictogramUrl"]
        == base + event.pictogram_key
    )


def test_an_upload_answers_absolute_upload_and_public_urls(auth_client, settings):
    settings.ALLOWED_HOSTS = ["192.168.1.20"]

    answer = auth_client.post(
        "/api/files/upload",
        {"fileName": "a.png", "mimeType": "image/png", "fileSize": 100, "category": "avatar"},
        format="json",
        HTTP_HOST=HOST,
    )

    body = answer.json()
    assert body["uploadUrl"].startswith(f"http://{HOST}/api/files/upload/")
    assert body["publicUrl"] == f"http://{HOST}/media/{body['storageKey']}"


def test_behind_a_tls_proxy_the_urls_are_https(auth_client, library, settings):
    hero = library[0]
    settings.ALLOWED_HOSTS = ["api.example.com"]

    answer = auth_client.get(
        f"/api/heroes/{hero.pk}", HTTP_HOST="api.example.com", HTTP_X_FORWARDED_PROTO="https"
    )

    assert answer.json()["hero"]["avatarUrl"] == f"https://api.example.com/media/{hero.avatar_key}"


def test_a_public_bucket_url_is_kept_as_it_is(auth_client, library, settings):
    hero = library[0]
    settings.R2_PUBLIC_URL = "https://cdn.infinitestories.app"

    answer = auth_client.get(f"/api/heroes/{hero.pk}", HTTP_HOST=HOST)

    assert answer.json()["hero"]["avatarUrl"] == (
        f"https://cdn.infinitestories.app/{hero.avatar_key}"
    )
