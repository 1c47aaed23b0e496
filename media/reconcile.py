"""Files are never orphaned: storage is checked against the database.

Two beat jobs:
- media_pending_settle (hourly): each PendingFile record (written by media_save before the
  bytes) older than MEDIA_RECONCILE_GRACE is finished when some row references its key, or
  deleted with its file when none does (the database failed after a paid upload, the job was
  killed, a picture was drawn twice).
- media_reconcile (daily): every object in the media folders older than MEDIA_RECONCILE_GRACE
  that no row references is deleted (a failed job's narration after the failed-job purge or the
  account's deletion, anything an older version left behind). Its counts are kept
  (ReconciliationRun) for the admin's dashboard.

Which columns hold file keys is listed here by app label and model name (FILE_REFERENCES), so
media imports no domain app; a test checks that every `*_key` column of every model is listed.
"""

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from .models import PendingFile, ReconciliationRun
from .storage import FOLDERS, is_s3, s3_bucket_name, s3_client

logger = logging.getLogger(__name__)

# (app label, model, field lookup) of every column that holds a stored file's key.
FILE_REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("heroes", "Hero", "avatar_key"),
    ("stories", "Story", "audio_key"),
    ("stories", "NarrationTimings", "audio_key"),
    ("stories", "StoryIllustration", "image_key"),
    ("stories", "CustomStoryEvent", "pictogram_key"),
    # A narration job keeps its file's key until the story points at it (a retry reuses it).
    ("stories", "GenerationJob", "output_key"),
    ("media", "FileUpload", "storage_key"),
    ("media", "PendingFile", "key"),
    ("media", "PendingDeletion", "key"),
)
# Keys looked up per query.
CHUNK = 500


def keys_referenced(keys: Iterable[str], *, ignore_pending: bool = False) -> set[str]:
    """Those of `keys` some row points at (`ignore_pending`: a PendingFile record does not
    count, for settling those records themselves)."""
    keys = list(dict.fromkeys(key for key in keys if key))
    found: set[str] = set()
    for app_label, model_name, lookup in FILE_REFERENCES:
        if ignore_pending and model_name == "PendingFile":
            continue
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:  # an app this deployment does not install
            continue
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            values = model.objects.filter(**{f"{lookup}__in": chunk}).values_list(lookup, flat=True)
            found.update(value for value in values if isinstance(value, str))
    return found


def media_pending_settle(*, now: datetime | None = None) -> tuple[int, int]:
    """Settle the PendingFile records older than the grace period; (finished, deleted)."""
    from .services import media_delete_on_commit

    cutoff = (now or timezone.now()) - timedelta(seconds=settings.MEDIA_RECONCILE_GRACE)
    finished = deleted = 0
    while True:
        with transaction.atomic():
            records = list(
                PendingFile.objects.select_for_update(skip_locked=True)
                .filter(created_at__lt=cutoff)
                .order_by("created_at")[:CHUNK]
            )
            if not records:
                return finished, deleted
            keys = [record.key for record in records]
            kept = keys_referenced(keys, ignore_pending=True)
            orphans = [key for key in keys if key not in kept]
            PendingFile.objects.filter(pk__in=[record.pk for record in records]).delete()
            media_delete_on_commit(keys=orphans)
            for key in orphans:
                logger.warning("Pending file %s was never referenced: deleted", key)
            finished += len(kept)
            deleted += len(orphans)


def _stored(folder: str) -> Iterator[tuple[str, datetime]]:
    """(key, last modified) of every object under `folder`/."""
    if is_s3():
        pages = s3_client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=s3_bucket_name(), Prefix=f"{folder}/"):
            for item in page.get("Contents", []):
                yield item["Key"], item["LastModified"]
        return
    if not default_storage.exists(folder):
        return
    _, files = default_storage.listdir(folder)
    for name in files:
        key = f"{folder}/{name}"
        yield key, default_storage.get_modified_time(key)


def media_reconcile(*, now: datetime | None = None) -> ReconciliationRun:
    """List storage against the database; delete what nothing references after the grace period.

    The pending records are settled first, so a file whose record was just finished counts as
    referenced and one whose record was deleted is already on its way out.
    """
    from .services import media_delete_on_commit

    now = now or timezone.now()
    run = ReconciliationRun.objects.create(started_at=now)
    run.pending_settled, run.pending_deleted = media_pending_settle(now=now)
    cutoff = now - timedelta(seconds=settings.MEDIA_RECONCILE_GRACE)
    for folder in sorted(set(FOLDERS.values())):
        batch: list[str] = []
        for key, modified in _stored(folder):
            run.listed += 1
            if timezone.is_naive(modified):
                modified = timezone.make_aware(modified)
            if modified >= cutoff:
                run.young += 1
                continue
            batch.append(key)
            if len(batch) >= CHUNK:
                _reconcile_batch(run, batch, media_delete_on_commit)
                batch = []
        if batch:
            _reconcile_batch(run, batch, media_delete_on_commit)
    run.finished_at = timezone.now()
    run.save()
    return run


def _reconcile_batch(run: ReconciliationRun, keys: list[str], delete) -> None:
    with transaction.atomic():
        kept = keys_referenced(keys)
        orphans = [key for key in keys if key not in kept]
        delete(keys=orphans)
    run.referenced += len(kept)
    run.deleted += len(orphans)
    for key in orphans:
        logger.warning("Stored file %s is referenced by nothing: deleted", key)


def last_reconciliation() -> ReconciliationRun | None:
    """For the admin's dashboard."""
    return ReconciliationRun.objects.filter(finished_at__isnull=False).first()
