"""The periodic jobs, declared once: `manage.py beat_schedule_apply` writes them into
django-celery-beat's tables (run by `make dev` and the deploy's release step), where beat's
database scheduler reads them and keeps their last-run state across restarts.

Applying updates the rows it names (task, timing, on), so a change here reaches a deployed
schedule with the next release; staff may still switch one off or on in the admin (Periodic
tasks) until then. Task names are the schedule's contract with the code (tests/infinitestories/test_celery.py
checks each one is a registered task). Add a periodic job here, not in a migration.
"""

EVERY_DAY = 24 * 3600

# name -> (task, timing): an interval in seconds, or a daily (hour, minute) in UTC.
SCHEDULE: dict[str, tuple[str, int | tuple[int, int]]] = {
    "generation-jobs-sweep": ("stories.tasks.generation_jobs_sweep_task", 60),
    # Idempotent, so a run missed on the 1st is caught up the next day.
    "monthly-quota-reset": ("usage.tasks.monthly_quota_reset_task", (0, 5)),
    # Every minute: AI work of a request that died is given back within about a minute of its
    # lease, and stopped work whose worker is gone soon after.
    "release-stale-cost-reservations": ("usage.tasks.cost_reservations_release_stale_task", 60),
    # Usage rows kept through a database blip are written within a minute of its end.
    "usage-outbox-drain": ("usage.tasks.usage_outbox_drain_task", 60),
    "purge-old-spend-counters": ("usage.tasks.spend_counters_purge_task", EVERY_DAY),
    "purge-dead-sessions": ("accounts.tasks.sessions_purge_expired_task", EVERY_DAY),
    "purge-unused-uploads": ("media.tasks.uploads_purge_unused_task", EVERY_DAY),
    "purge-idempotency-records": (
        "infinitestories.api.tasks.idempotency_records_purge_task",
        EVERY_DAY,
    ),
    # Daily, in the quiet hours (UTC).
    "purge-failed-generation-jobs": ("stories.tasks.failed_jobs_purge_task", (3, 20)),
    "purge-moderation-records": ("usage.tasks.moderation_records_purge_task", (3, 25)),
    # A deletion storage has not confirmed is sent again (media.PendingDeletion).
    "media-deletions-resend": ("media.tasks.media_deletions_resend_task", 5 * 60),
    # An Apple token revocation that did not go through at account deletion is sent again.
    "apple-revocations-resend": ("accounts.tasks.apple_revocations_resend_task", (3, 30)),
    # Each configured model's announced shutdown, from the vendors' model lists (staff e-mailed
    # at 60, 30 and 7 days, and at once for a model that vanished).
    "model-shutdown-watch": ("usage.tasks.model_watch_task", (6, 10)),
    # The deep health check (a storage write, a worker ping) on a worker; /api/health reads its
    # result from the cache (infinitestories.api.health).
    "health-deep-check": ("infinitestories.api.tasks.health_deep_check_task", 60),
    # Pending file records settled hourly; storage listed against the database daily.
    "media-pending-settle": ("media.tasks.media_pending_settle_task", 3600),
    "media-reconcile": ("media.tasks.media_reconcile_task", (3, 40)),
}
