"""Pictures are moderated too (omni-moderation takes images), through the real SDK against the
fake OpenAI server, which flags pictures on command. Drawn pictures are kept without the
vendor's metadata, and every call that has the field carries the user's safety identifier."""

import base64
import io

import pytest
from django.conf import settings
from PIL import Image

from heroes.models import Hero, HeroVisualProfile
from infinitestories.ai.privacy import safety_identifier
from media.selectors import media_exists, media_read
from media.services import media_save
from stories.models import GenerationJob, StoryIllustration
from stories.services import illustrations
from tests.heroes.factories import HeroFactory
from tests.media.photos import assert_bare, phone_jpeg, uploaded
from tests.stories.factories import StoryFactory
from usage.models import UsageMetric


def moderated_pictures(fake) -> list[bytes]:
    """The pictures sent to moderation, decoded from their data: URLs."""
    pictures = []
    for call in fake.calls("/v1/moderations"):
        for part in call.body["input"] if isinstance(call.body["input"], list) else []:
            url = part["image_url"]["url"]
            pictures.append(base64.b64decode(url.split(",", 1)[1]))
    return pictures


# --- uploads -------------------------------------------------------------------------------------


def test_an_uploaded_avatar_is_moderated_without_its_metadata_and_kept(
    openai_provider, auth_client, user
):
    hero = HeroFactory(user=user)
    upload = uploaded(user, phone_jpeg(), mime_type="image/jpeg")

    response = auth_client.post(
        f"/api/heroes/{hero.pk}/avatar", {"storageKey": upload.storage_key}, format="json"
    )

    assert response.status_code == 200, response.json()
    (sent,) = moderated_pictures(openai_provider)
    assert_bare(sent)  # the vendor saw pixels, not where the photo was taken
    hero.refresh_from_db()
    assert media_read(key=hero.avatar_key) == sent


def test_a_flagged_upload_is_content_rejected_and_nothing_changes(
    openai_provider, auth_client, user
):
    # given a hero with an avatar, and moderation that will flag the next picture
    old = media_save(category="avatar", content=b"old", extension="png", content_type="image/png")
    hero = HeroFactory(user=user, avatar_key=old)
    upload = uploaded(user, phone_jpeg(), mime_type="image/jpeg")
    openai_provider.flag_images(times=1)

    # when the family picks the upload as the avatar
    response = auth_client.post(
        f"/api/heroes/{hero.pk}/avatar", {"storageKey": upload.storage_key}, format="json"
    )

    # then it is refused with a kind message, and the hero keeps its avatar
    assert response.status_code == 400
    assert response.json()["code"] == "CONTENT_REJECTED"
    assert response.json()["details"] == {"field": "storageKey"}
    assert Hero.objects.get(pk=hero.pk).avatar_key == old and media_exists(key=old)
    upload.refresh_from_db()
    assert upload.entity_id == ""  # not used up: nothing was adopted
    assert [p for p in media_keys() if p.startswith("avatars/")] == sorted(
        [old, upload.storage_key]
    )


def media_keys() -> list[str]:
    from django.core.files.storage import default_storage

    if not default_storage.exists("avatars"):
        return []
    _, files = default_storage.listdir("avatars")
    return sorted(f"avatars/{name}" for name in files)


# --- drawn avatars -------------------------------------------------------------------------------


def test_a_flagged_drawn_avatar_is_drawn_again_gently_and_kept_without_metadata(
    openai_provider, auth_client, user
):
    hero = HeroFactory(user=user)
    openai_provider.flag_images(times=1)

    response = auth_client.post(
        f"/api/heroes/{hero.pk}/avatar", {"customPrompt": "a pirate hat"}, format="json"
    )

    assert response.status_code == 200, response.json()
    first, second = openai_provider.calls("/v1/images/generations")
    assert "pirate hat" in first.body["prompt"]
    assert "pirate hat" not in second.body["prompt"] and "calm" in second.body["prompt"]
    hero.refresh_from_db()
    assert hero.avatar_prompt == second.body["prompt"]
    stored = assert_bare(media_read(key=hero.avatar_key))
    assert stored.format == "PNG"
    assert len(moderated_pictures(openai_provider)) == 2


def test_an_avatar_flagged_twice_is_ai_failed_and_nothing_is_kept(
    openai_provider, auth_client, user
):
    hero = HeroFactory(user=user)
    openai_provider.flag_images(times=None)

    response = auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json")

    assert response.status_code == 502
    assert response.json()["code"] == "AI_FAILED"
    assert len(openai_provider.calls("/v1/images/generations")) == 2
    hero.refresh_from_db()
    assert hero.avatar_key == ""
    assert not HeroVisualProfile.objects.filter(hero=hero).exists()
    assert media_keys() == []


# --- illustrations -------------------------------------------------------------------------------


@pytest.fixture
def story(user):
    hero = HeroFactory(user=user)
    return StoryFactory(user=user, hero=hero)


def draw(user, story, captured, count: int = 1) -> GenerationJob:
    with captured(execute=True):
        job = illustrations.illustrations_request(user=user, story=story, count=count)
    job.refresh_from_db()
    return job


def test_a_flagged_illustration_is_redrawn_gently_then_kept_without_metadata(
    openai_provider, user, story, django_capture_on_commit_callbacks
):
    openai_provider.flag_images(times=1)

    job = draw(user, story, django_capture_on_commit_callbacks)

    assert job.status == "completed"
    row = StoryIllustration.objects.get(story=story)
    assert row.generation_status == "completed"
    first, second = openai_provider.calls("/v1/images/generations")
    assert "peaceful and happy" not in first.body["prompt"]
    assert "peaceful and happy" in second.body["prompt"]  # the gentle variant
    assert row.prompt == second.body["prompt"]
    assert_bare(media_read(key=row.image_key))


def test_flagged_twice_becomes_the_generic_scene(
    openai_provider, user, story, django_capture_on_commit_callbacks
):
    openai_provider.flag_images(times=2)

    draw(user, story, django_capture_on_commit_callbacks)

    row = StoryIllustration.objects.get(story=story)
    assert row.generation_status == "completed"
    assert "peaceful garden under a friendly starry sky" in row.prompt
    assert len(openai_provider.calls("/v1/images/generations")) == 3


def test_a_picture_flagged_every_time_fails_alone_and_is_never_stored(
    openai_provider, settings, user, story, django_capture_on_commit_callbacks
):
    settings.AI_IMAGE_CONCURRENCY = 1  # one picture after the other
    openai_provider.flag_images(times=3)  # the first picture's three variants

    job = draw(user, story, django_capture_on_commit_callbacks, count=2)

    rows = list(StoryIllustration.objects.filter(story=story).order_by("display_order"))
    assert [r.generation_status for r in rows].count("failed") == 1
    assert [r.generation_status for r in rows].count("completed") == 1
    failed = next(r for r in rows if r.generation_status == "failed")
    assert failed.image_key == ""
    assert job.status == "completed" and job.error_message == "1 of 2 pictures could not be drawn."
    # three draws for the flagged one (no retry of the whole set), one for the other
    assert len(openai_provider.calls("/v1/images/generations")) == 4


# --- safety identifier ---------------------------------------------------------------------------


def test_every_call_that_has_the_field_carries_the_users_keyed_hash(
    openai_provider, auth_client, user, django_capture_on_commit_callbacks
):
    hero = HeroFactory(user=user)
    assert auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            "/api/stories",
            {"heroId": hero.pk, "eventType": "bedtime", "generateIllustrations": True},
            format="json",
        )
    assert response.status_code == 201

    expected = safety_identifier(user.pk)
    with_field = [
        *openai_provider.calls("/v1/chat/completions"),
        *openai_provider.calls("/v1/images/"),
    ]
    assert len(with_field) >= 6  # story, scenes, visual profile, avatar, 3 illustrations
    assert {call.body["safety_identifier"] for call in with_field} == {expected}
    assert expected != user.pk and user.email not in expected
    # the moderation and speech endpoints have no such field: nothing is invented for them
    for call in openai_provider.calls("/v1/moderations") + openai_provider.calls("/v1/audio"):
        assert "safety_identifier" not in call.body and "user" not in call.body
    # each moderation of a picture is metered like the text ones
    assert UsageMetric.objects.filter(operation="moderation", unit="images").count() == 4
    assert settings.AI_SAFETY_IDENTIFIER_KEY


def test_pictures_sent_as_references_carry_no_metadata_even_if_stored_with_it(
    openai_provider, user, django_capture_on_commit_callbacks
):
    # given an avatar stored before pictures were cleaned: a phone photo with GPS
    key = media_save(
        category="avatar", content=phone_jpeg(), extension="jpg", content_type="image/jpeg"
    )
    story = StoryFactory(user=user, hero=HeroFactory(user=user, avatar_key=key))

    draw(user, story, django_capture_on_commit_callbacks)

    # then the reference the image model got is the picture alone
    (edit,) = openai_provider.calls("/v1/images/edits")
    raw = edit.raw
    assert b"Exif\x00\x00" not in raw and b"PhoneMaker" not in raw and b"Alice at home" not in raw
    reference = Image.open(io.BytesIO(raw[raw.index(b"\xff\xd8") :]))
    assert reference.format == "JPEG" and not reference.getexif()
