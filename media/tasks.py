from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task

from . import services


@shared_task(
    autoretry_for=(OSError, BotoCoreError, ClientError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
)
def media_delete_task(key: str) -> None:
    """Delete one stored file; idempotent, retried with backoff while storage is unavailable."""
    services.media_delete(key=key)


@shared_task
def uploads_purge_unused_task() -> int:
    return services.uploads_purge_unused()


@shared_task
def media_deletions_resend_task() -> int:
    """Every few minutes: send again the file deletions whose message was lost."""
    return services.media_deletions_resend()


@shared_task
def media_pending_settle_task() -> list[int]:
    """Hourly: finish or delete the files recorded before an upload that never completed."""
    from .reconcile import media_pending_settle

    return list(media_pending_settle())


@shared_task
def media_reconcile_task() -> int:
    """Daily: delete stored files nothing references after the grace period; returns how many."""
    from .reconcile import media_reconcile

    return media_reconcile().deleted
