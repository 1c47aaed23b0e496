"""Hero writes: create, update, delete, and taking an uploaded picture as the avatar."""

import copy
import io

from django.db import transaction
from PIL import Image, UnidentifiedImageError

from infinitestories.ai.chain import CallContext
from infinitestories.ai.moderation import family_text_check
from infinitestories.api.errors import ApplicationError, NotFoundError
from infinitestories.services import model_update
from media.models import FileUpload
from media.selectors import media_exists, media_read, media_size
from media.services import media_delete, media_delete_on_commit, media_save

from .errors import (
    INVALID_IMAGE,
    UPLOAD_ALREADY_USED,
    UPLOAD_MISSING,
    UPLOAD_NOT_FOUND,
    UPLOAD_TOO_LARGE,
)
from .models import Hero

HERO_FIELDS = ("name", "age", "traits", "appearance", "abilities")

# Pillow's format name -> the MIME type a FileUpload declares, and the stored extension.
_PIL_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
MAX_AVATAR_BYTES = 10 * 1024 * 1024


def hero_create(
    *,
    user,
    name: str,
    age: int,
    traits: list[str],
    appearance: str,
    abilities: list[str] | None = None,
) -> Hero:
    """Save a new hero once moderation has passed its text (400 CONTENT_REJECTED otherwise)."""
    hero = Hero(
        user=user,
        name=name,
        age=age,
        traits=traits,
        appearance=appearance,
        abilities=abilities or [],
    )
    _moderate(hero=hero)
    hero.save(force_insert=True)
    return hero


def _moderate(*, hero: Hero) -> None:
    ctx = CallContext(operation="moderation", user_id=hero.user_id, hero_id=hero.pk)
    family_text_check(ctx=ctx, hero=hero, what="the hero")


def hero_update(*, hero: Hero, **fields) -> Hero:
    """Set the given fields (only the user-editable ones exist here) once moderation has passed
    the hero as it would become; nothing else changes."""
    edited = copy.copy(hero)
    for name in HERO_FIELDS:
        if name in fields:
            setattr(edited, name, fields[name])
    _moderate(hero=edited)
    return model_update(instance=hero, fields=HERO_FIELDS, data=fields)


@transaction.atomic
def hero_delete(*, hero: Hero) -> int:
    """Delete the hero and its visual profile; its stories stay, unlinked (hero null).

    Returns how many stories were unlinked. The avatar file is deleted after commit.
    """
    stories_affected = hero.stories.count()
    avatar_key = hero.avatar_key
    hero.delete()  # Story.hero is SET_NULL; the visual profile cascades
    media_delete_on_commit(keys=[avatar_key])
    return stories_affected


@transaction.atomic
def hero_avatar_set_from_upload(*, user, hero: Hero, storage_key: str) -> Hero:
    """Use a picture the user uploaded (POST /api/files/upload) as the hero's avatar.

    1. The key must name the user's own FileUpload in the avatar category, not used before.
    2. The object must exist in storage, and its bytes must really be an image of the declared
       type (Pillow verifies the file, and its format must match the declared MIME type).
    3. The verified bytes are copied under a new avatar key: the upload URL stays valid until it
       expires, so the object at the upload key could still be replaced after this check; the
       copy cannot. The upload object and the previous avatar are deleted after commit.
    """
    if hero.user_id != user.pk:
        raise NotFoundError("Hero not found.")
    upload = (
        FileUpload.objects.select_for_update()
        .filter(user=user, storage_key=storage_key, category=FileUpload.Category.AVATAR)
        .first()
    )
    if upload is None:
        raise ApplicationError(
            UPLOAD_NOT_FOUND,
            "No avatar upload of yours has this storage key.",
            details={"storageKey": "Unknown storage key."},
        )
    if upload.entity_id:
        raise ApplicationError(
            UPLOAD_ALREADY_USED,
            "This upload has already been used; upload the picture again.",
            details={"storageKey": "Already used."},
        )
    if not media_exists(key=storage_key):
        raise ApplicationError(
            UPLOAD_MISSING,
            "The file has not been uploaded yet.",
            details={"storageKey": "Nothing is stored under this key."},
        )
    if media_size(key=storage_key) > upload.file_size:  # checked before a byte is read
        raise ApplicationError(
            UPLOAD_TOO_LARGE,
            "The uploaded file is larger than declared; upload it again.",
            details={"storageKey": f"At most {upload.file_size} bytes were declared."},
        )
    content = media_read(key=storage_key)
    extension = _check_image(content=content, mime_type=upload.mime_type)

    avatar_key = media_save(
        category="avatar", content=content, extension=extension, content_type=upload.mime_type
    )
    old_key = hero.avatar_key
    try:
        hero.avatar_key = avatar_key
        hero.save(update_fields=["avatar_key", "updated_at"])
        FileUpload.objects.filter(pk=upload.pk).update(entity_id=hero.pk)
    except Exception:
        media_delete(key=avatar_key)  # nothing will reference the copy
        hero.avatar_key = old_key
        raise
    media_delete_on_commit(keys=[old_key, storage_key])
    return hero


def _check_image(*, content: bytes, mime_type: str) -> str:
    """Refuse bytes that are not a readable image of `mime_type`; return its file extension."""
    if len(content) > MAX_AVATAR_BYTES:
        raise ApplicationError(
            INVALID_IMAGE, "The picture is larger than 10 MB.", details={"storageKey": "Too large."}
        )
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ApplicationError(
            INVALID_IMAGE,
            "The uploaded file is not a readable image.",
            details={"storageKey": "Not an image."},
        ) from None
    if _PIL_MIME.get(image_format or "") != mime_type:
        raise ApplicationError(
            INVALID_IMAGE,
            f"The uploaded file is not a {mime_type} image.",
            details={"storageKey": f"Declared {mime_type}, found {image_format}."},
        )
    return _EXTENSIONS[mime_type]
