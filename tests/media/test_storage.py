"""The media services against local files and against S3 (django-storages + boto3 + moto server)."""

import re
import urllib.request

import pytest
from django.core.files.storage import default_storage

from media import selectors, services
from media.storage import is_s3, s3_bucket_name, s3_client

KEY = re.compile(r"^avatars/[0-9a-f]{32}\.png$")


def test_save_uses_a_random_key_in_the_category_folder():
    # when
    first = services.media_save(
        category="avatar", content=b"one", extension="png", content_type="image/png"
    )
    second = services.media_save(
        category="avatar", content=b"one", extension="png", content_type="image/png"
    )

    # then
    assert KEY.match(first)
    assert KEY.match(second)
    assert first != second
    assert selectors.media_read(key=first) == b"one"


@pytest.mark.parametrize(
    ("category", "folder"),
    [("audio", "audio"), ("illustration", "illustrations"), ("pictogram", "pictograms")],
)
def test_each_category_has_its_folder(category, folder):
    key = services.media_save(category=category, content=b"x", extension="bin", content_type="a/b")

    assert key.startswith(f"{folder}/")


@pytest.mark.parametrize(("category", "extension"), [("secrets", "png"), ("avatar", "../png")])
def test_save_refuses_unknown_category_or_bad_extension(category, extension):
    with pytest.raises(ValueError):
        services.media_save(category=category, content=b"x", extension=extension, content_type="x")


def test_local_url_is_under_media_and_empty_key_has_no_url(settings):
    key = services.media_save(
        category="audio", content=b"x", extension="mp3", content_type="audio/mpeg"
    )

    assert selectors.media_url(key=key) == f"/media/{key}"
    assert selectors.media_url(key="") is None


def test_public_url_is_used_when_configured(settings):
    settings.R2_PUBLIC_URL = "https://files.example.com"

    assert selectors.media_url(key="audio/abc.mp3") == "https://files.example.com/audio/abc.mp3"


def test_delete_on_commit_deletes_only_after_commit(django_capture_on_commit_callbacks):
    key = services.media_save(
        category="audio", content=b"x", extension="mp3", content_type="audio/mpeg"
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.media_delete_on_commit(keys=[key, "", key])

    assert len(callbacks) == 1  # empty keys skipped, duplicates once
    assert selectors.media_exists(key=key)
    callbacks[0]()
    assert not selectors.media_exists(key=key)


def test_delete_of_a_missing_file_is_fine():
    services.media_delete(key="audio/" + "0" * 32 + ".mp3")


def test_delete_task_asks_for_a_retry_on_storage_errors(monkeypatch):
    from celery.exceptions import Retry

    from media.tasks import media_delete_task

    def broken(name):
        raise OSError("storage down")

    monkeypatch.setattr(default_storage, "delete", broken)

    with pytest.raises(Retry):
        media_delete_task.apply(args=["audio/x.mp3"], throw=True).get()
    assert media_delete_task.retry_backoff is True
    assert media_delete_task.max_retries == 8


# --- S3 through django-storages and boto3, against moto's real server on loopback ----------


def test_s3_save_read_exists_and_delete(s3_storage):
    # given the default storage is S3
    assert is_s3()

    # when
    key = services.media_save(
        category="audio", content=b"ID3 fake mp3", extension="mp3", content_type="audio/mpeg"
    )

    # then the object is in the bucket with its content type
    head = s3_storage.head_object(Bucket=s3_bucket_name(), Key=key)
    assert head["ContentType"] == "audio/mpeg"
    assert selectors.media_read(key=key) == b"ID3 fake mp3"
    assert selectors.media_exists(key=key)

    services.media_delete(key=key)
    assert not selectors.media_exists(key=key)
    services.media_delete(key=key)  # idempotent


def test_s3_presigned_get_serves_the_object(s3_storage, settings):
    key = services.media_save(
        category="illustration", content=b"PNGDATA", extension="png", content_type="image/png"
    )

    url = selectors.media_url(key=key)

    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=3600" in url
    with urllib.request.urlopen(url) as response:  # noqa: S310 - loopback moto server
        assert response.read() == b"PNGDATA"


def test_s3_public_url_when_configured(s3_storage, settings):
    settings.R2_PUBLIC_URL = "https://files.infinitestories.app"
    key = services.media_save(
        category="avatar", content=b"x", extension="png", content_type="image/png"
    )

    assert selectors.media_url(key=key) == f"https://files.infinitestories.app/{key}"


def test_s3_presigned_put_by_plain_http(s3_storage):
    # given a presigned PUT, signed by the storage's own boto3 client
    key = "avatars/" + "a" * 32 + ".png"
    url = s3_client().generate_presigned_url(
        "put_object",
        Params={"Bucket": s3_bucket_name(), "Key": key, "ContentType": "image/png"},
        ExpiresIn=600,
    )

    # when a client uploads with plain HTTP
    request = urllib.request.Request(  # noqa: S310 - loopback moto server
        url, data=b"uploaded bytes", method="PUT", headers={"Content-Type": "image/png"}
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback moto server
        assert response.status == 200

    # then the storage sees it
    assert selectors.media_read(key=key) == b"uploaded bytes"


def test_s3_delete_on_commit_removes_the_object(s3_storage, django_capture_on_commit_callbacks):
    key = services.media_save(
        category="audio", content=b"x", extension="mp3", content_type="audio/mpeg"
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.media_delete_on_commit(keys=[key])

    assert s3_storage.list_objects_v2(Bucket=s3_bucket_name()).get("KeyCount", 0) == 0
