"""heroes.services.hero_avatar_set_from_upload: an uploaded picture becomes the hero's avatar."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from heroes.services import hero_avatar_set_from_upload
from infinitestories.api.errors import ApplicationError, NotFoundError
from media import selectors as media_selectors
from media import services as media_services
from media.models import FileUpload
from tests.heroes.factories import HeroFactory
from tests.media.photos import uploaded


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format=fmt)
    return buffer.getvalue()


def pixels(content: bytes) -> tuple[str, tuple[int, int], bytes]:
    """What a picture shows (format, size, RGB pixels): stored pictures are encoded again."""
    with Image.open(io.BytesIO(content)) as image:
        return image.format, image.size, image.convert("RGB").tobytes()


def test_a_real_png_upload_becomes_the_avatar_and_the_old_file_goes(
    user, django_capture_on_commit_callbacks
):
    # given a hero with an old avatar and a fresh PNG upload
    old_key = media_services.media_save(
        category="avatar", content=b"old", extension="png", content_type="image/png"
    )
    hero = HeroFactory(user=user, avatar_key=old_key)
    upload = uploaded(user, content=image_bytes("PNG"))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = hero_avatar_set_from_upload(user=user, hero=hero, storage_key=upload.storage_key)

    # then the verified picture is the avatar, under a new key; the upload and old files go
    hero.refresh_from_db()
    assert result.avatar_key == hero.avatar_key
    assert hero.avatar_key.startswith("avatars/")
    assert hero.avatar_key != upload.storage_key
    assert pixels(media_selectors.media_read(key=hero.avatar_key)) == pixels(image_bytes("PNG"))
    assert not media_selectors.media_exists(key=old_key)
    assert not media_selectors.media_exists(key=upload.storage_key)
    upload.refresh_from_db()
    assert upload.entity_id == hero.id


def test_replacing_the_upload_object_afterwards_does_not_change_the_avatar(user):
    # the presigned PUT is valid until it expires; a later PUT must not swap the avatar's bytes
    hero = HeroFactory(user=user)
    upload = uploaded(user, content=image_bytes("PNG"))
    hero_avatar_set_from_upload(user=user, hero=hero, storage_key=upload.storage_key)

    media_services.media_delete(key=upload.storage_key)
    default_storage.save(upload.storage_key, ContentFile(b"<script>evil</script>"))

    assert pixels(media_selectors.media_read(key=hero.avatar_key)) == pixels(image_bytes("PNG"))


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_jpeg_and_webp_are_accepted(user, fmt, mime):
    hero = HeroFactory(user=user)
    upload = uploaded(user, content=image_bytes(fmt), mime_type=mime)

    hero_avatar_set_from_upload(user=user, hero=hero, storage_key=upload.storage_key)

    assert hero.avatar_key.endswith(".jpg" if fmt == "JPEG" else ".webp")


def refused(user, hero, key) -> ApplicationError:
    before = hero.avatar_key
    with pytest.raises(ApplicationError) as info:
        hero_avatar_set_from_upload(user=user, hero=hero, storage_key=key)
    hero.refresh_from_db()
    assert hero.avatar_key == before
    return info.value


def test_another_users_upload_is_refused(user, other_user):
    hero = HeroFactory(user=user)
    theirs = uploaded(other_user, content=image_bytes("PNG"))

    error = refused(user, hero, theirs.storage_key)

    assert (error.code, error.status) == ("UPLOAD_NOT_FOUND", 404)


def test_an_unknown_key_is_refused(user):
    error = refused(user, HeroFactory(user=user), "avatars/" + "0" * 32 + ".png")

    assert error.code == "UPLOAD_NOT_FOUND"


def test_an_upload_of_another_category_is_refused(user):
    upload = uploaded(user, content=image_bytes("PNG"), category="illustration")

    error = refused(user, HeroFactory(user=user), upload.storage_key)

    assert error.code == "UPLOAD_NOT_FOUND"


def test_a_reserved_but_never_uploaded_key_is_refused(user):
    upload = uploaded(user, content=image_bytes("PNG"))
    media_services.media_delete(key=upload.storage_key)

    error = refused(user, HeroFactory(user=user), upload.storage_key)

    assert (error.code, error.status) == ("UPLOAD_MISSING", 409)


def test_bytes_that_are_not_an_image_are_refused(user):
    upload = uploaded(user, content=b"<html>not a picture</html>")

    error = refused(user, HeroFactory(user=user), upload.storage_key)

    assert (error.code, error.status) == ("INVALID_IMAGE", 400)


def test_a_truncated_png_is_refused(user):
    upload = uploaded(user, content=image_bytes("PNG")[:40])

    error = refused(user, HeroFactory(user=user), upload.storage_key)

    assert error.code == "INVALID_IMAGE"


def test_an_image_of_another_type_than_declared_is_refused(user):
    upload = uploaded(user, content=image_bytes("JPEG"), mime_type="image/png")

    error = refused(user, HeroFactory(user=user), upload.storage_key)

    assert error.code == "INVALID_IMAGE"


def test_an_upload_already_used_is_refused(user):
    upload = uploaded(user, content=image_bytes("PNG"))
    hero_avatar_set_from_upload(
        user=user, hero=HeroFactory(user=user), storage_key=upload.storage_key
    )

    error = refused(user, HeroFactory(user=user), upload.storage_key)

    assert (error.code, error.status) == ("UPLOAD_ALREADY_USED", 409)


def test_another_users_hero_is_not_found(user, other_user):
    hero = HeroFactory(user=other_user)
    upload = uploaded(user, content=image_bytes("PNG"))

    with pytest.raises(NotFoundError):
        hero_avatar_set_from_upload(user=user, hero=hero, storage_key=upload.storage_key)
    hero.refresh_from_db()
    assert hero.avatar_key == ""


def test_works_against_s3(user, s3_storage):
    hero = HeroFactory(user=user)
    upload = uploaded(user, content=image_bytes("PNG"))

    hero_avatar_set_from_upload(user=user, hero=hero, storage_key=upload.storage_key)

    hero.refresh_from_db()
    assert pixels(media_selectors.media_read(key=hero.avatar_key)) == pixels(image_bytes("PNG"))


def test_the_whole_upload_flow_ends_in_an_avatar(auth_client, client, user):
    # given the app asked for an upload URL and PUT a real PNG there
    png = image_bytes("PNG")
    upload = auth_client.post(
        "/api/files/upload",
        {"fileName": "me.png", "mimeType": "image/png", "fileSize": len(png), "category": "avatar"},
        format="json",
    ).json()
    assert client.put(upload["uploadUrl"], png, content_type="image/png").status_code == 200
    hero = HeroFactory(user=user)

    # when the app confirms the key as the hero's avatar
    confirmed = auth_client.post(
        f"/api/heroes/{hero.id}/avatar", {"storageKey": upload["storageKey"]}, format="json"
    )

    # then the answer and the hero show it
    assert confirmed.status_code == 200
    shown = auth_client.get(f"/api/heroes/{hero.id}").json()["hero"]
    hero.refresh_from_db()
    assert confirmed.json()["hero"]["avatarUrl"] == shown["avatarUrl"]
    assert shown["avatarUrl"] == f"http://testserver/media/{hero.avatar_key}"
    assert pixels(media_selectors.media_read(key=hero.avatar_key)) == pixels(png)


def test_confirming_another_users_upload_through_the_api_is_404_and_changes_nothing(
    auth_client, user, other_user
):
    upload = uploaded(other_user, content=image_bytes("PNG"))
    hero = HeroFactory(user=user, avatar_key="")

    response = auth_client.post(
        f"/api/heroes/{hero.id}/avatar", {"storageKey": upload.storage_key}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "UPLOAD_NOT_FOUND"
    hero.refresh_from_db()
    assert hero.avatar_key == ""


def test_an_object_larger_than_declared_is_refused_before_it_is_read(user, monkeypatch):
    upload = uploaded(user, content=image_bytes("PNG"))
    FileUpload.objects.filter(pk=upload.pk).update(file_size=10)
    hero = HeroFactory(user=user, avatar_key="")
    read = []
    monkeypatch.setattr("media.services.media_read", lambda **kw: read.append(kw))

    with pytest.raises(ApplicationError) as refused:
        hero_avatar_set_from_upload(user=user, hero=hero, storage_key=upload.storage_key)

    assert refused.value.code == "UPLOAD_TOO_LARGE"
    assert read == []
    hero.refresh_from_db()
    assert hero.avatar_key == ""
