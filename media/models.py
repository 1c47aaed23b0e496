from django.conf import settings
from django.db import models
from django.utils import timezone

from infinitestories.ids import PublicIdField


class FileUpload(models.Model):
    """A file a client asked to upload directly to storage (POST /api/files/upload)."""

    class Category(models.TextChoices):
        AVATAR = "avatar"
        ILLUSTRATION = "illustration"
        AUDIO = "audio"
        PICTOGRAM = "pictogram"

    id = PublicIdField(prefix="file")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    file_name = models.CharField(max_length=255)
    # As declared; once adopted, the size of the checked copy kept (a family's storage ceiling
    # counts it: stories.services.library_import.family_import_bytes).
    file_size = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=100)
    storage_key = models.CharField(max_length=255, unique=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    entity_id = models.CharField(max_length=40, blank=True)
    is_public = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Once adopted, the upload key is spent but its link may still work until it expires (a
    # presigned S3 PUT cannot be revoked): the purge deletes whatever it left there, then says so.
    key_purged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["category"])]

    def __str__(self) -> str:
        return self.storage_key


class PendingDeletion(models.Model):
    """A stored file to delete, written in the same transaction as the change that let it go.

    The delete task removes the row once storage confirms; a row still here after
    MEDIA_DELETE_RESEND_AFTER seconds had its message lost (broker down, worker killed) and the
    sweeper sends it again, as the job sweeper does for generation jobs.
    """

    key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key


MB = 1024 * 1024

# What each category accepts: MIME type -> file extension of the stored object.
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
# Narration is MP3 (PRD 6.7: audio/mpeg), as the app plays it and our voices make it.
AUDIO_TYPES = {"audio/mpeg": "mp3"}
ALLOWED_TYPES: dict[str, dict[str, str]] = {
    FileUpload.Category.AVATAR: IMAGE_TYPES,
    FileUpload.Category.ILLUSTRATION: IMAGE_TYPES,
    FileUpload.Category.PICTOGRAM: IMAGE_TYPES,
    FileUpload.Category.AUDIO: AUDIO_TYPES,
}
# PRD 6.7: images up to 10 MB, audio up to 50 MB. Each category is adopted by an endpoint that
# checks the bytes by what they are (media.services.upload_adopt): avatars by
# POST /api/heroes/{id}/avatar, all four by POST /api/import.
MAX_SIZE: dict[str, int] = {
    FileUpload.Category.AVATAR: 10 * MB,
    FileUpload.Category.ILLUSTRATION: 10 * MB,
    FileUpload.Category.PICTOGRAM: 10 * MB,
    FileUpload.Category.AUDIO: 50 * MB,
}
