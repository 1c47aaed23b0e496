"""Writes to object storage. The only way the project stores or deletes a file."""

import logging
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from .storage import key_new

logger = logging.getLogger(__name__)


def media_save(*, category: str, content: bytes, extension: str, content_type: str) -> str:
    """Save bytes under a new random key in `category`'s folder and return the key."""
    key = key_new(category=category, extension=extension)
    file = ContentFile(content)
    # django-storages' S3 backend reads the Content-Type from here.
    file.content_type = content_type
    saved = default_storage.save(key, file)
    if saved != key:  # a random 128-bit name never collides; if it did, the caller gets the truth
        logger.warning("Storage saved %s as %s", key, saved)
    return saved


def media_delete_on_commit(*, keys: Iterable[str]) -> None:
    """After the current transaction commits, delete each non-empty key (a retried Celery task).

    Deleting after commit means a rolled-back write never loses a file that is still referenced.
    """
    from .tasks import media_delete_task

    for key in {key for key in keys if key}:
        transaction.on_commit(lambda key=key: media_delete_task.delay(key))


def media_delete(*, key: str) -> None:
    """Delete one file now; a missing file is not an error (deletion is idempotent)."""
    if key:
        default_storage.delete(key)
