"""Reads from object storage: URLs, bytes, existence."""

import time

from django.conf import settings
from django.core.files.storage import default_storage

from infinitestories.api.middleware import absolute_url

from .pictures import PictureError, picture_clean
from .storage import is_s3


def media_url(*, key: str) -> str | None:
    """The URL a client fetches the file from, or None when there is no file.

    Always absolute: public under R2_PUBLIC_URL when set; otherwise a presigned GET that
    expires after MEDIA_URL_EXPIRY on S3, or on local files (served in DEBUG) the /media/ URL on
    the host the request came to (a path only outside a request, e.g. in a management command).
    """
    if not key:
        return None
    if settings.R2_PUBLIC_URL:
        return f"{settings.R2_PUBLIC_URL}/{key}"
    if is_s3():
        return default_storage.url(key, expire=int(settings.MEDIA_URL_EXPIRY.total_seconds()))
    return absolute_url(default_storage.url(key))


def media_read(*, key: str) -> bytes:
    with default_storage.open(key, "rb") as file:
        return file.read()


def media_folder_keys(*, folder: str) -> list[str]:
    """The keys of the files directly in `folder` (none when it does not exist)."""
    try:
        _, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{name}" for name in files]


def media_subfolders(*, folder: str) -> list[str]:
    """The names of the folders directly in `folder` (none when it does not exist)."""
    try:
        folders, _ = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return list(folders)


def media_exists(*, key: str) -> bool:
    return bool(key) and default_storage.exists(key)


def media_size(*, key: str) -> int:
    return default_storage.size(key)


def picture_read(*, key: str) -> bytes | None:
    """A stored picture with nothing but its pixels (for a vendor: a reference to draw from),
    or None when there is none we can read. Pictures are stored clean; this also holds for any
    stored before that was so."""
    if not media_exists(key=key):
        return None
    try:
        return picture_clean(media_read(key=key)).content
    except PictureError:
        return None


def media_urls_epoch() -> int:
    """Which half of MEDIA_URL_EXPIRY it is when media URLs are presigned (0 when they do not
    expire): a conditional GET's ETag changes with it, so an answer a client keeps after a 304
    has URLs valid for at least half their life."""
    if settings.R2_PUBLIC_URL or not is_s3():
        return 0
    half = max(int(settings.MEDIA_URL_EXPIRY.total_seconds()) // 2, 1)
    return int(time.time()) // half
