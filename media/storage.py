"""Storage helpers: which backend is active, how keys look, and how upload URLs are signed.

Every file goes through Django's default storage (local files by default, django-storages S3 when
R2_* is set), so the rest of the code never knows which one it talks to.
"""

import re
import secrets

from django.core.files.storage import default_storage
from storages.backends.s3 import S3Storage

# Category (what the file is for) -> folder in the bucket (PRD section 8).
FOLDERS: dict[str, str] = {
    "avatar": "avatars",
    "audio": "audio",
    "illustration": "illustrations",
    "pictogram": "pictograms",
}

_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")


def key_new(*, category: str, extension: str) -> str:
    """A fresh random key `{folder}/{32 hex}.{ext}`; nothing in it comes from user input."""
    if category not in FOLDERS:
        raise ValueError(f"Unknown media category: {category!r}")
    extension = extension.lower().lstrip(".")
    if not _EXTENSION.match(extension):
        raise ValueError(f"Bad file extension: {extension!r}")
    return f"{FOLDERS[category]}/{secrets.token_hex(16)}.{extension}"


def is_s3() -> bool:
    # default_storage is a LazyObject; isinstance sees through it to the configured backend.
    return isinstance(default_storage, S3Storage)


def s3_client():
    """The boto3 client of the configured S3 storage (signs presigned URLs)."""
    return default_storage.connection.meta.client


def s3_bucket_name() -> str:
    return default_storage.bucket_name
