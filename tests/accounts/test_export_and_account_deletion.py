"""GET /api/user/export and DELETE /api/user/account (PRD 11, data privacy)."""

import json

from accounts.models import BearerSession, User
from heroes.models import Hero
from media import selectors as media_selectors
from media.models import FileUpload
from stories.models import CustomStoryEvent, Story, StoryIllustration
from tests.helpers import client_for, saved_file
from tests.heroes.factories import HeroFactory, HeroVisualProfileFactory
from tests.stories.factories import (
    CustomStoryEventFactory,
    StoryFactory,
    StoryIllustrationFactory,
)
from usage.models import UsageMetric


def family(user) -> dict:
    """A user's whole library with a file behind every key."""
    hero = HeroFactory(user=user, avatar_key=saved_file("avatar"))
    HeroVisualProfileFactory(hero=hero)
    story = StoryFactory(user=user, hero=hero, audio_key=saved_file("audio"))
    orphan = StoryFactory(user=user, hero=None)
    illustration = StoryIllustrationFactory(story=story, image_key=saved_file("illustration"))
    event = CustomStoryEventFactory(user=user, pictogram_key=saved_file("pictogram"))
    upload_key = saved_file("avatar")
    upload = FileUpload.objects.create(
        user=user,
        file_name="me.png",
        file_size=4,
        mime_type="image/png",
        storage_key=upload_key,
        category="avatar",
    )
    return {
        "hero": hero,
        "story": story,
        "orphan": orphan,
        "illustration": illustration,
        "event": event,
        "upload": upload,
        "keys": [
            hero.avatar_key,
            story.audio_key,
            illustration.image_key,
            event.pictogram_key,
            upload_key,
        ],
    }


# --- export ---------------------------------------------------------------------------------


def test_export_is_an_attachment_with_exactly_the_users_data(auth_client, user, other_user):
    # given two families
    mine = family(user)
    theirs = family(other_user)

    # when
    response = auth_client.get("/api/user/export")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="infinitestories-export-'
    )
    data = json.loads(response.content)
    assert set(data) == {
        "exportedAt",
        "user",
        "heroes",
        "stories",
        "customEvents",
        "files",
        "sessions",
        "parentalConsents",
        "devices",
        "usage",
    }
    assert data["user"]["id"] == user.id
    assert data["user"]["email"] == user.email
    assert [h["id"] for h in data["heroes"]] == [mine["hero"].id]
    assert data["heroes"][0]["visualProfile"]["hairColor"] == "blonde"
    assert {s["id"] for s in data["stories"]} == {mine["story"].id, mine["orphan"].id}
    story = next(s for s in data["stories"] if s["id"] == mine["story"].id)
    assert [i["id"] for i in story["illustrations"]] == [mine["illustration"].id]
    assert [e["id"] for e in data["customEvents"]] == [mine["event"].id]
    assert [f["storageKey"] for f in data["files"]] == [mine["upload"].storage_key]
    assert len(data["sessions"]) == 1
    (consent,) = data["parentalConsents"]
    assert consent["policyVersion"] == user.parental_consent_version and consent["ipAddress"]
    # nothing of the other family appears anywhere
    text = response.content.decode()
    for obj in [theirs["hero"], theirs["story"], theirs["orphan"], theirs["event"]]:
        assert obj.id not in text
    assert other_user.email not in text
    for key in theirs["keys"]:
        assert key not in text


def test_export_holds_no_secrets(auth_client, user):
    family(user)
    session = BearerSession.objects.get(user=user)

    text = auth_client.get("/api/user/export").content.decode()

    assert session.token_hash not in text
    assert user.password not in text
    assert "tokenHash" not in text
    assert "password" not in text.lower()


def test_export_includes_exactly_the_users_usage_rows(auth_client, user, other_user):
    mine = UsageMetric.objects.create(user=user, operation="story_generation", vendor="openai")
    UsageMetric.objects.create(user=other_user, operation="story_generation", vendor="openai")

    data = json.loads(auth_client.get("/api/user/export").content)

    assert [row["id"] for row in data["usage"]] == [mine.id]


def test_export_needs_a_session(client):
    assert client.get("/api/user/export").status_code == 401


# --- account deletion -----------------------------------------------------------------------


def assert_account_gone(user, library, other):
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Hero.objects.filter(user_id=user.pk).exists()
    assert not Story.objects.filter(user_id=user.pk).exists()
    assert not StoryIllustration.objects.filter(pk=library["illustration"].pk).exists()
    assert not CustomStoryEvent.objects.filter(user_id=user.pk).exists()
    assert not FileUpload.objects.filter(user_id=user.pk).exists()
    assert not BearerSession.objects.filter(user_id=user.pk).exists()
    for key in library["keys"]:
        assert not media_selectors.media_exists(key=key), key
    # the other family is untouched
    assert Hero.objects.filter(pk=other["hero"].pk).exists()
    assert Story.objects.filter(user=other["hero"].user).count() == 2
    for key in other["keys"]:
        assert media_selectors.media_exists(key=key), key


def test_delete_account_removes_everything_and_refuses_the_token(
    auth_client, user, other_user, django_capture_on_commit_callbacks
):
    # given
    mine, theirs = family(user), family(other_user)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete("/api/user/account")

    # then
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert_account_gone(user, mine, theirs)
    refused = auth_client.get("/api/user/profile")
    assert refused.status_code == 401
    assert refused.json()["code"] == "UNAUTHORIZED"


def test_delete_account_revokes_every_device(user, django_capture_on_commit_callbacks):
    phone, tablet = client_for(user), client_for(user)

    with django_capture_on_commit_callbacks(execute=True):
        assert phone.delete("/api/user/account").status_code == 200

    assert tablet.get("/api/heroes").status_code == 401


def test_delete_account_on_s3_removes_the_objects(
    auth_client, user, other_user, s3_storage, django_capture_on_commit_callbacks
):
    # given both families' files are in the bucket
    mine, theirs = family(user), family(other_user)
    bucket = s3_storage.list_objects_v2(Bucket="infinite-stories-test")
    assert bucket["KeyCount"] == 10

    # when
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete("/api/user/account").status_code == 200

    # then only the other family's objects remain
    left = {
        o["Key"] for o in s3_storage.list_objects_v2(Bucket="infinite-stories-test")["Contents"]
    }
    assert left == set(theirs["keys"])
    assert_account_gone(user, mine, theirs)
    assert auth_client.get("/api/user/profile").status_code == 401


def test_delete_account_needs_a_session(client, user):
    assert client.delete("/api/user/account").status_code == 401
    assert User.objects.filter(pk=user.pk).exists()
