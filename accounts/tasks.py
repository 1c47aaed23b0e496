from celery import shared_task

from . import services


@shared_task
def sessions_purge_expired_task() -> int:
    """Daily: drop sessions that can never be used again."""
    return services.sessions_purge_expired()
