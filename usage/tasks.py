from celery import shared_task

from .services import monthly_quota_reset


@shared_task
def monthly_quota_reset_task() -> int:
    return monthly_quota_reset()
