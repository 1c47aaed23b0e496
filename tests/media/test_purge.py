import io
import urllib.request
from datetime import timedelta

from django.utils import timezone
from PIL import Image

from media import selectors, services
from media.models import FileUpload
from tests.conftest import S3_BUCKET
from tests.heroes.factories import HeroFactory


def _upload(user, *, expired_days_ago: float, entity_id: str = "") -> FileUpload:
    key = services.media_save(
        category="avatar", content=b"\x89PNG...", extension="png", content_type="image/png"
    )
    return FileUpload.objects.create(
        user=user,
        file_name="a.png",
        file_size=8,
        mime_type="image/png",
        storage_key=key,
        category="avatar",
        entity_id=entity_id,
        expires_at=timezone.now() - timedelta(days=expired_days_ago),
    )


def test_unused_uploads_a_day_past_expiry_are_purged_with_their_files(
    user, django_capture_on_commit_callbacks
):
    stale = _upload(user, expired_days_ago=2)
    recent = _upload(user, expired_days_ago=0.5)
    adopted = _upload(user, expired_days_ago=5, entity_id="hero_abc")

    with django_capture_on_commit_callbacks(execute=True):
        purged = services.uploads_purge_unused()

    # the unused upload goes with its file; the adopted one stays, its spent key emptied
    assert purged == 2
    assert set(FileUpload.objects.values_list("pk", flat=True)) == {recent.pk, adopted.pk}
    assert not selectors.media_exists(key=stale.storage_key)
    assert not selectors.media_exists(key=adopted.storage_key)
    assert selectors.media_exists(key=recent.storage_key)


def _put(url: str, data: bytes) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback moto server
        url, data=data, method="PUT", headers={"Content-Type": "image/png"}
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return response.status


def test_what_a_spent_link_stored_again_is_purged_once_the_link_expired(
    user, auth_client, s3_storage, django_capture_on_commit_callbacks
):
    # given a picture uploaded through a presigned PUT and adopted as a hero's avatar
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    picture = buffer.getvalue()
    upload = auth_client.post(
        "/api/files/upload",
        {
            "fileName": "me.png",
            "mimeType": "image/png",
            "fileSize": len(picture),
            "category": "avatar",
        },
        format="json",
    ).json()
    assert _put(upload["uploadUrl"], picture) == 200
    hero = HeroFactory(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        adopted = auth_client.post(
            f"/api/heroes/{hero.pk}/avatar", {"storageKey": upload["storageKey"]}, format="json"
        )
    assert adopted.status_code == 200, adopted.json()
    # and the spent link used again while it still works (S3 cannot revoke it)
    assert _put(upload["uploadUrl"], b"anything at all") == 200

    # when the purge runs once the link has expired
    FileUpload.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        purged = services.uploads_purge_unused()

    # then nothing is left under the spent key, the avatar stays, and the key is not purged twice
    hero.refresh_from_db()
    stored = [o["Key"] for o in s3_storage.list_objects_v2(Bucket=S3_BUCKET)["Contents"]]
    assert (purged, stored) == (1, [hero.avatar_key])
    assert FileUpload.objects.get().key_purged_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.uploads_purge_unused() == 0
