from celery import shared_task

from .idempotency import idempotency_records_purge


@shared_task
def idempotency_records_purge_task() -> int:
    """Daily: forget Idempotency-Key answers older than a day."""
    return idempotency_records_purge()


@shared_task
def health_deep_check_task() -> dict:
    """Every minute: the storage write and the worker ping /api/health reports (from the cache)."""
    from .health import health_deep_run

    return health_deep_run()
