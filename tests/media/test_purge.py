from datetime import timedelta

from django.utils import timezone

from media import selectors, services
from media.models import FileUpload


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

    assert purged == 1
    assert set(FileUpload.objects.values_list("pk", flat=True)) == {recent.pk, adopted.pk}
    assert not selectors.media_exists(key=stale.storage_key)
    assert selectors.media_exists(key=recent.storage_key)
