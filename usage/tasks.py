from celery import shared_task

from infinitestories.ai.metering import outbox_drain

from .services import (
    ai_works_release_stale,
    moderation_records_purge,
    monthly_quota_reset,
    spend_counters_purge,
)
from .services.model_watch import model_watch_run


@shared_task
def monthly_quota_reset_task() -> int:
    return monthly_quota_reset()


@shared_task
def cost_reservations_release_stale_task() -> int:
    """Every minute: end AI work nobody will end (a request that died, a stopped worker gone)."""
    return ai_works_release_stale()


@shared_task
def spend_counters_purge_task() -> int:
    return spend_counters_purge()


@shared_task
def moderation_records_purge_task() -> int:
    """Daily: forget moderation calls older than RETENTION_MODERATION_DAYS."""
    return moderation_records_purge()


@shared_task
def model_watch_task() -> dict:
    """Daily: the vendors' model lists and the shutdown alerts (usage.services.model_watch)."""
    return model_watch_run()


@shared_task
def usage_outbox_drain_task() -> int:
    """Every minute: usage rows kept in the outbox through a database blip are written even
    when no later AI call comes to write them (their spend counts against the ceilings)."""
    written = 0
    while batch := outbox_drain():
        written += batch
    return written
