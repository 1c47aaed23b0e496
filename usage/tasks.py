from celery import shared_task

from .services import cost_reservations_release_stale, monthly_quota_reset, spend_counters_purge


@shared_task
def monthly_quota_reset_task() -> int:
    return monthly_quota_reset()


@shared_task
def cost_reservations_release_stale_task() -> int:
    return cost_reservations_release_stale()


@shared_task
def spend_counters_purge_task() -> int:
    return spend_counters_purge()
