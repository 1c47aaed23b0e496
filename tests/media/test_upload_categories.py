"""POST /api/files/upload takes the PRD's four categories (section 6.7), and what is uploaded is
checked when it is adopted, by what it is: a narration must be MP3 frames through and through
(kept byte for byte), a picture must decode (encoded again without metadata). Anything else is
refused and deleted at once."""

import io

import pytest
from django.db import transaction
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from infinitestories.ai.audio_files import silent_mp3
from infinitestories.api.errors import ApplicationError
from media import selectors
from media.models import FileUpload
from media.services import upload_adopt
from tests.conftest import S3_BUCKET
from tests.infinitestories.api.test_schema import body, schema  # noqa: F401 - the generated schema
from tests.media.photos import assert_bare, exif_with_gps
from tests.media.uploads import bucket_keys, narration, png, upload

URL = "/api/files/upload"
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("category", "mime_type", "max_size", "key_pattern"),
    [
        ("avatar", "image/jpeg", 10 * MB, "avatars/"),
        ("illustration", "image/png", 10 * MB, "illustrations/"),
        ("pictogram", "image/webp", 10 * MB, "pictograms/"),
        ("audio", "audio/mpeg", 50 * MB, "audio/"),
    ],
)
def test_each_prd_category_takes_its_types_up_to_its_size(
    auth_client, category, mime_type, max_size, key_pattern
):
    request = {"fileName": "f", "mimeType": mime_type, "fileSize": max_size, "category": category}

    at_limit = auth_client.post(URL, request, format="json")
    over = auth_client.post(URL, {**request, "fileSize": max_size + 1}, format="json")

    assert at_limit.status_code == 200
    assert at_limit.json()["storageKey"].startswith(key_pattern)
    assert over.status_code == 400
    assert over.json()["details"] == {"fileSize": f"At most {max_size // MB} MB for {category}."}
    assert FileUpload.objects.count() == 1


@pytest.mark.parametrize(
    ("category", "mime_type"),
    [
        ("audio", "image/png"),
        ("audio", "audio/wav"),
        ("audio", "text/html"),
        ("illustration", "audio/mpeg"),
        ("pictogram", "image/gif"),
    ],
)
def test_a_type_the_category_does_not_take_is_refused(auth_client, category, mime_type):
    request = {"fileName": "f", "mimeType": mime_type, "fileSize": 10, "category": category}

    response = auth_client.post(URL, request, format="json")

    assert response.status_code == 400
    assert list(response.json()["details"]) == ["mimeType"]
    assert FileUpload.objects.count() == 0


def test_the_schema_states_each_categorys_types_and_size(schema):  # noqa: F811
    rules = body(schema, URL, "post")["anyOf"]

    assert sorted(
        (
            rule["properties"]["category"]["enum"],
            rule["properties"]["mimeType"]["enum"],
            rule["properties"]["fileSize"]["maximum"],
        )
        for rule in rules
    ) == [
        (["audio"], ["audio/mpeg"], 50 * MB),
        (["avatar"], ["image/jpeg", "image/png", "image/webp"], 10 * MB),
        (["illustration"], ["image/jpeg", "image/png", "image/webp"], 10 * MB),
        (["pictogram"], ["image/jpeg", "image/png", "image/webp"], 10 * MB),
    ]


# --- Adoption: the bytes, whatever the client said they were


def adopt(user, key: str, category: str):
    with transaction.atomic():
        return upload_adopt(user=user, storage_key=key, category=category, entity_id="story_x")


def test_an_mp3_is_kept_byte_for_byte_with_its_measured_duration(
    auth_client, user, s3_storage, django_capture_on_commit_callbacks
):
    mp3 = narration("one two three four five")  # 5 words at 0.4 s
    key = upload(auth_client, mp3, category="audio")

    with django_capture_on_commit_callbacks(execute=True):
        adopted = adopt(user, key, "audio")

    assert adopted.key.startswith("audio/") and adopted.key.endswith(".mp3")
    assert adopted.key != key
    assert selectors.media_read(key=adopted.key) == mp3
    assert adopted.duration == pytest.approx(2.0, abs=0.05)
    assert bucket_keys(s3_storage, S3_BUCKET) == {adopted.key}  # the upload key is gone
    assert FileUpload.objects.get(storage_key=key).entity_id == "story_x"


def test_html_uploaded_as_audio_is_refused_and_deleted(auth_client, user, s3_storage):
    page = b"<html><script>alert(1)</script>" + silent_mp3(0.1)[:8] + b"</html>"
    key = upload(auth_client, page, category="audio")

    with pytest.raises(ApplicationError) as refused:
        adopt(user, key, "audio")

    assert (refused.value.code, refused.value.status) == ("INVALID_AUDIO", 400)
    assert refused.value.message == "The narration is not an MP3 file."
    assert bucket_keys(s3_storage, S3_BUCKET) == set()  # never served
    assert FileUpload.objects.get(storage_key=key).entity_id == ""


def test_a_picture_uploaded_as_audio_is_refused(auth_client, user, s3_storage):
    key = upload(auth_client, png(), category="audio", mime_type="audio/mpeg")

    with pytest.raises(ApplicationError) as refused:
        adopt(user, key, "audio")

    assert refused.value.code == "INVALID_AUDIO"
    assert not selectors.media_exists(key=key)


def test_a_png_with_exif_gps_and_text_is_kept_with_its_pixels_only(auth_client, user, s3_storage):
    info = PngInfo()
    info.add_text("Author", "Alice at home")
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 200, 30)).save(
        buffer, format="PNG", exif=exif_with_gps(), pnginfo=info
    )
    photo = buffer.getvalue()
    assert b"Alice" in photo and b"eXIf" in photo
    key = upload(auth_client, photo, category="illustration")

    adopted = adopt(user, key, "illustration")

    stored = selectors.media_read(key=adopted.key)
    image = assert_bare(stored)
    assert b"eXIf" not in stored
    assert (image.format, image.size) == ("PNG", (30, 20))
    assert image.convert("RGB").getpixel((5, 5)) == (10, 200, 30)


def test_a_png_bomb_is_refused_before_decoding_and_deleted(auth_client, user, s3_storage):
    bomb = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(bomb, format="PNG")  # 60 megapixels in a few kB
    key = upload(auth_client, bomb.getvalue(), category="pictogram")

    with pytest.raises(ApplicationError) as refused:
        adopt(user, key, "pictogram")

    assert refused.value.code == "INVALID_IMAGE"
    assert bucket_keys(s3_storage, S3_BUCKET) == set()


def test_an_image_of_another_type_than_declared_is_refused(auth_client, user, s3_storage):
    key = upload(auth_client, png(), category="illustration", mime_type="image/jpeg")

    with pytest.raises(ApplicationError) as refused:
        adopt(user, key, "illustration")

    assert refused.value.code == "INVALID_IMAGE"
    assert not selectors.media_exists(key=key)
