from celery import shared_task

from .services import moderation_records_purge, monthly_quota_reset


@shared_task
def monthly_quota_reset_task() -> int:
    return monthly_quota_reset()


@shared_task
def moderation_records_purge_task() -> int:
    """Daily: forget moderation calls older than RETENTION_MODERATION_DAYS."""
    return moderation_records_purge()
