"""Writes to object storage. The only way the project stores or deletes a file."""

import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from infinitestories.ai.base import Operation
from infinitestories.ai.chain import CallContext
from infinitestories.ai.moderation import family_picture_check
from infinitestories.api.errors import (
    PAYLOAD_TOO_LARGE,
    SERVICE_RETRY_AFTER,
    SERVICE_UNAVAILABLE,
    VALIDATION_ERROR,
    ApplicationError,
)

from .errors import (
    INVALID_AUDIO,
    INVALID_IMAGE,
    UPLOAD_ALREADY_USED,
    UPLOAD_MISSING,
    UPLOAD_NOT_FOUND,
    UPLOAD_SIGNATURE_INVALID,
    UPLOAD_TOO_LARGE,
)
from .models import (
    ALLOWED_TYPES,
    IMAGE_TYPES,
    MAX_SIZE,
    FileUpload,
    PendingDeletion,
    PendingFile,
)
from .pictures import (
    Picture,
    PictureError,
    PicturesBusy,
    picture_clean,
    picture_decode_slot,
    picture_metadata,
)
from .selectors import media_exists, media_read, media_size
from .sounds import Sound, SoundError, sound_check
from .storage import is_s3, key_new, s3_bucket_name, s3_client

logger = logging.getLogger(__name__)


def media_save(*, category: str, content: bytes, extension: str, content_type: str) -> str:
    """Save bytes under a new random key in `category`'s folder and return the key (recorded
    first as a PendingFile: a paid file is never orphaned)."""
    key = key_new(category=category, extension=extension)
    # The database learns the key before storage has the bytes: a crash from here until the
    # caller's row points at the file leaves this record, which media.reconcile settles.
    PendingFile.objects.create(key=key)
    file = ContentFile(content)
    # django-storages' S3 backend reads the Content-Type from here.
    file.content_type = content_type
    saved = default_storage.save(key, file)
    if saved != key:  # a random 128-bit name never collides; if it did, the caller gets the truth
        logger.warning("Storage saved %s as %s", key, saved)
    return saved


def media_write(*, key: str, content: bytes, content_type: str) -> None:
    """Write bytes under a key the server chose (work kept under its job, replaced if there),
    never one from user input."""
    if default_storage.exists(key):
        default_storage.delete(key)
    file = ContentFile(content)
    file.content_type = content_type
    default_storage.save(key, file)


def picture_save(*, category: str, content: bytes) -> str:
    """Save a picture with nothing but its pixels (media.pictures: no EXIF, GPS, ICC profile,
    comments or vendor metadata survive) and return the key. For every picture we keep."""
    picture = picture_clean(content)
    return media_save(
        category=category,
        content=picture.content,
        extension=IMAGE_TYPES[picture.mime_type],
        content_type=picture.mime_type,
    )


def picture_restore_clean(*, key: str, category: str) -> str | None:
    """For a picture stored before pictures were cleaned: when the one at `key` carries
    metadata, save it clean under a new key and return that key (the caller points its row at
    it and deletes the old file after commit); None when it is clean, missing or unreadable."""
    if not media_exists(key=key):
        return None
    content = media_read(key=key)
    if not picture_metadata(content):
        return None
    try:
        return picture_save(category=category, content=content)
    except PictureError:
        logger.warning("Stored picture %s could not be read; left as it is", key)
        return None


def media_delete_on_commit(*, keys: Iterable[str]) -> None:
    """Delete each non-empty key once the current transaction commits (a retried Celery task).

    Deleting after commit means a rolled-back write never loses a file that is still referenced.
    Each key is also written down (PendingDeletion) in this transaction, so a message the broker
    loses is sent again by the sweeper (media_deletions_resend) and no file is forgotten.
    """
    from .tasks import media_delete_task

    keys = {key for key in keys if key}
    PendingDeletion.objects.bulk_create(
        [PendingDeletion(key=key) for key in keys], ignore_conflicts=True
    )
    for key in keys:
        # robust: one failed enqueue must not skip the others nor fail a committed request.
        transaction.on_commit(lambda key=key: media_delete_task.delay(key), robust=True)


def media_delete(*, key: str) -> None:
    """Delete one file now and strike it off the pending deletions; a missing file is not an
    error (deletion is idempotent)."""
    if key:
        default_storage.delete(key)
        PendingDeletion.objects.filter(key=key).delete()


def media_deletions_resend() -> int:
    """Send again the deletions whose message was lost (still pending MEDIA_DELETE_RESEND_AFTER
    seconds after it was sent). A beat job; a duplicate message deletes nothing twice."""
    from .tasks import media_delete_task

    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.MEDIA_DELETE_RESEND_AFTER)
    keys = list(
        PendingDeletion.objects.filter(sent_at__lt=cutoff)
        .order_by("sent_at")
        .values_list("key", flat=True)[:1000]
    )
    PendingDeletion.objects.filter(key__in=keys).update(sent_at=now)
    for key in keys:
        logger.warning("Deletion of %s was not confirmed: sent again", key)
        media_delete_task.delay(key)
    return len(keys)


# --- Direct uploads (POST /api/files/upload) -------------------------------------------------

UPLOAD_SIGNING_SALT = "media.upload"


def upload_create(
    *, user, file_name: str, mime_type: str, file_size: int, category: str
) -> tuple[FileUpload, str]:
    """Reserve a key for a client upload and return the record with its upload URL.

    1. Make a random key in the category's folder, with the extension of the declared type.
    2. Record the FileUpload (who, what, how big, until when the URL works).
    3. Sign the upload URL: a presigned S3 PUT bound to the key and Content-Type, or, on local
       files, a path to our own signed, expiring upload endpoint (relative: the view makes it
       absolute).
    """
    key = key_new(category=category, extension=ALLOWED_TYPES[category][mime_type])
    expiry = settings.MEDIA_URL_EXPIRY
    upload = FileUpload.objects.create(
        user=user,
        file_name=file_name,
        file_size=file_size,
        mime_type=mime_type,
        storage_key=key,
        category=category,
        is_public=bool(settings.R2_PUBLIC_URL),
        expires_at=timezone.now() + expiry,
    )
    if is_s3():
        url = s3_client().generate_presigned_url(
            "put_object",
            # Signed Content-Length: the storage refuses a body of any other size.
            Params={
                "Bucket": s3_bucket_name(),
                "Key": key,
                "ContentType": mime_type,
                "ContentLength": file_size,
            },
            ExpiresIn=int(expiry.total_seconds()),
        )
    else:
        token = signing.TimestampSigner(salt=UPLOAD_SIGNING_SALT).sign_object({"key": key})
        url = reverse("files-upload-local", kwargs={"token": token})
    return upload, url


def upload_receive(
    *, token: str, content_type: str, content_length: int | None, stream
) -> FileUpload:
    """Store the body of a PUT to the local signed upload URL (the development stand-in for S3).

    The signature names the key; the FileUpload row gives the declared type and size, which the
    request must respect: a wrong or expired signature or another Content-Type is 403, a body
    larger than declared is 413.
    """
    try:
        data = signing.TimestampSigner(salt=UPLOAD_SIGNING_SALT).unsign_object(
            token, max_age=settings.MEDIA_URL_EXPIRY
        )
    except signing.BadSignature:
        raise _link_invalid() from None
    upload = FileUpload.objects.filter(storage_key=data.get("key", "")).first()
    if upload is None:
        raise _link_invalid()
    if upload.entity_id:  # already confirmed and copied (heroes.services): the link is spent
        raise ApplicationError(
            UPLOAD_SIGNATURE_INVALID, _("This upload has already been used."), status=403
        )
    if content_type.split(";")[0].strip().lower() != upload.mime_type:
        raise ApplicationError(
            UPLOAD_SIGNATURE_INVALID,
            _("The upload must be sent with Content-Type %(type)s.") % {"type": upload.mime_type},
            status=403,
        )
    if content_length is None or content_length < 0:
        raise ApplicationError(
            VALIDATION_ERROR, _("The upload needs a valid Content-Length header."), status=411
        )
    if content_length > upload.file_size:
        raise ApplicationError(
            PAYLOAD_TOO_LARGE,
            _("The file is larger than the size declared for this upload."),
            status=413,
            details={"declaredSize": upload.file_size},
        )
    body = stream.read(content_length)
    # Like an S3 PUT, a second upload to the same key replaces the object.
    default_storage.delete(upload.storage_key)
    saved = default_storage.save(upload.storage_key, ContentFile(body))
    if saved != upload.storage_key:  # pragma: no cover - a race with another PUT of the same key
        default_storage.delete(saved)
        raise ApplicationError(VALIDATION_ERROR, _("The upload could not be stored."), status=409)
    return upload


def _link_invalid() -> ApplicationError:
    return ApplicationError(
        UPLOAD_SIGNATURE_INVALID, _("The upload link is invalid or has expired."), status=403
    )


@dataclass(frozen=True)
class Adopted:
    """A checked copy of an upload: its key, its size, and (audio) the measured duration."""

    key: str
    size: int
    duration: float | None = None


def upload_adopt_image(*, user, storage_key: str, category: str, entity_id: str) -> str:
    """Take a picture the user uploaded (POST /api/files/upload) for `entity_id`; return the key
    of a checked copy (upload_adopt), which image moderation has passed (400 CONTENT_REJECTED if
    flagged). Runs in the caller's transaction, which should save the copy's key."""

    def moderate(content: bytes) -> None:
        family_picture_check(
            ctx=CallContext(operation=Operation.MODERATION, user_id=user.pk),
            image=content,
            field="storageKey",
        )

    return upload_adopt(
        user=user,
        storage_key=storage_key,
        category=category,
        entity_id=entity_id,
        before_save=moderate,
    ).key


def upload_claim(*, user, storage_key: str, category: str) -> FileUpload:
    """The user's own upload under `storage_key` in `category`, unused, stored and no larger than
    declared (checked before a byte is read); locked until the caller's transaction ends.

    404 UPLOAD_NOT_FOUND (unknown, someone else's or of another category: the same answer),
    409 UPLOAD_ALREADY_USED, 409 UPLOAD_MISSING, 400 UPLOAD_TOO_LARGE.
    """
    upload = (
        FileUpload.objects.select_for_update()
        .filter(user=user, storage_key=storage_key, category=category)
        .first()
    )
    if upload is None:
        raise ApplicationError(
            UPLOAD_NOT_FOUND,
            _("None of your uploads has this storage key."),
            status=404,
            details={"storageKey": _("Unknown storage key.")},
        )
    if upload.entity_id:
        raise ApplicationError(
            UPLOAD_ALREADY_USED,
            _("This upload has already been used; upload the file again."),
            status=409,
            details={"storageKey": _("Already used.")},
        )
    if not media_exists(key=storage_key):
        raise ApplicationError(
            UPLOAD_MISSING,
            _("The file has not been uploaded yet."),
            status=409,
            details={"storageKey": _("Nothing is stored under this key.")},
        )
    if media_size(key=storage_key) > upload.file_size:
        raise ApplicationError(
            UPLOAD_TOO_LARGE,
            _("The uploaded file is larger than declared; upload it again."),
            details={
                "storageKey": _("At most %(size)d bytes were declared.")
                % {"size": upload.file_size}
            },
        )
    return upload


def upload_adopt(
    *,
    user,
    storage_key: str,
    category: str,
    entity_id: str,
    before_save: Callable[[bytes], None] | None = None,
) -> Adopted:
    """Take a file the user uploaded (POST /api/files/upload) for `entity_id`: a checked copy.
    Runs in the caller's transaction, which should save the copy's key; a caller whose
    transaction fails afterwards deletes the copy (media_delete).

    1. upload_claim: the user's own upload in `category`, unused, stored, no larger than declared.
    2. The bytes are checked by what they are, whatever the client declared: a picture
       (upload_picture_check: decoded, bomb-limited, encoded again with no metadata) or a
       narration (upload_sound_check: MP3 frames throughout, duration measured, kept as it is).
       Bytes that fail are refused (400 INVALID_IMAGE / INVALID_AUDIO) and deleted at once, so
       they are never served, whatever happens to the caller's transaction.
    3. `before_save` sees what would be saved (the avatar's moderation) and may refuse it.
    4. The copy is saved under a new key: the upload URL stays valid until it expires, so the
       object at the upload key could still be replaced after this check; the copy cannot. The
       upload is marked used (with the copy's size) and its object deleted after commit.
    """
    upload = upload_claim(user=user, storage_key=storage_key, category=category)
    content = media_read(key=storage_key)
    try:
        if category == FileUpload.Category.AUDIO:
            sound = upload_sound_check(content=content, max_size=MAX_SIZE[category])
            mime_type, duration = "audio/mpeg", sound.duration
        else:
            picture = upload_picture_check(
                content=content, mime_type=upload.mime_type, max_size=MAX_SIZE[category]
            )
            content, mime_type, duration = picture.content, picture.mime_type, None
    except ApplicationError as refusal:
        if refusal.code in (INVALID_IMAGE, INVALID_AUDIO):
            # Refused for what it is: never served, not even until the purge. A busy process
            # (503) leaves the family's good upload for the app's retry.
            default_storage.delete(storage_key)
        raise
    if before_save is not None:
        before_save(content)
    key = media_save(
        category=category,
        content=content,
        extension=ALLOWED_TYPES[category][mime_type],
        content_type=mime_type,
    )
    FileUpload.objects.filter(pk=upload.pk).update(entity_id=entity_id, file_size=len(content))
    media_delete_on_commit(keys=[storage_key])
    return Adopted(key=key, size=len(content), duration=duration)


def upload_picture_check(*, content: bytes, mime_type: str, max_size: int) -> Picture:
    """Every check a family's picture passes, in one place: no larger than `max_size`, readable
    by Pillow as the declared type (a canvas over Pillow's decompression-bomb limit or
    media.pictures.MAX_PIXELS is refused before it is decoded), then encoded again with nothing
    but its pixels (media.pictures.picture_clean). 400 INVALID_IMAGE otherwise."""
    if len(content) > max_size:
        raise ApplicationError(
            INVALID_IMAGE,
            _("The picture is larger than %(size)d MB.") % {"size": max_size // (1024 * 1024)},
            details={"storageKey": _("Too large.")},
        )
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ApplicationError(
            INVALID_IMAGE,
            _("The uploaded file is not a readable image."),
            details={"storageKey": _("Not an image.")},
        ) from None
    if Image.MIME.get(image_format or "") != mime_type:
        raise ApplicationError(
            INVALID_IMAGE,
            _("The uploaded file is not a %(type)s image.") % {"type": mime_type},
            details={
                "storageKey": _("Declared %(declared)s, found %(found)s.")
                % {"declared": mime_type, "found": image_format}
            },
        )
    try:
        with picture_decode_slot():
            return picture_clean(content)
    except PicturesBusy:
        # This process decodes PICTURE_DECODE_CONCURRENCY pictures at most (media.pictures): a
        # family sending many large pictures at once cannot take the web worker's memory.
        raise ApplicationError(
            SERVICE_UNAVAILABLE,
            _("Many pictures are being checked right now. Please try again in a moment."),
            status=503,
            headers={"Retry-After": SERVICE_RETRY_AFTER},
        ) from None
    except PictureError as exc:
        raise ApplicationError(
            INVALID_IMAGE, str(exc), details={"storageKey": _("Not a picture we can use.")}
        ) from None


def upload_sound_check(*, content: bytes, max_size: int) -> Sound:
    """Every check a family's narration passes: no larger than `max_size`, and MP3 frames from
    end to end of a sane length (media.sounds.sound_check). 400 INVALID_AUDIO otherwise."""
    if len(content) > max_size:
        raise ApplicationError(
            INVALID_AUDIO,
            _("The narration is larger than %(size)d MB.") % {"size": max_size // (1024 * 1024)},
            details={"storageKey": _("Too large.")},
        )
    try:
        return sound_check(content)
    except SoundError as exc:
        raise ApplicationError(
            INVALID_AUDIO, str(exc), details={"storageKey": _("Not an MP3 narration.")}
        ) from None


# Nothing references an upload until an endpoint adopts it (the avatar takes a checked copy and
# marks the upload used); one still unused a day after its link expired is clutter we pay for.
UNUSED_UPLOAD_GRACE = timedelta(days=1)


@transaction.atomic
def uploads_purge_unused() -> int:
    """A daily beat job; returns how many keys it cleared.

    1. Uploads never adopted, a day past their link's expiry: the rows go, their objects after
       commit.
    2. Uploads adopted (their bytes copied under a new key): the upload key is spent, but its link
       worked until it expired and a client could have stored something there again. Once the
       link is past expiry, whatever lies under the spent key goes, once (key_purged_at).
    """
    cutoff = timezone.now() - UNUSED_UPLOAD_GRACE
    stale = FileUpload.objects.filter(entity_id="", expires_at__lt=cutoff)
    keys = list(stale.values_list("storage_key", flat=True))
    stale.delete()
    spent = FileUpload.objects.exclude(entity_id="").filter(
        key_purged_at__isnull=True, expires_at__lt=timezone.now()
    )
    spent_keys = list(spent.values_list("storage_key", flat=True))
    spent.update(key_purged_at=timezone.now())
    media_delete_on_commit(keys=[*keys, *spent_keys])
    return len(keys) + len(spent_keys)


@transaction.atomic
def upload_delete(*, upload: FileUpload) -> None:
    """Forget an upload and delete its object after commit (staff, from the admin)."""
    key = upload.storage_key
    upload.delete()
    media_delete_on_commit(keys=[key])
