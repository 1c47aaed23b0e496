from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from infinitestories.celery import app


def test_every_beat_job_names_a_registered_task():
    # given the schedule declared in code, applied as the release step does
    call_command("beat_schedule_apply")
    app.loader.import_default_modules()

    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))

    assert scheduled == {
        "accounts.tasks.sessions_purge_expired_task",
        "accounts.tasks.apple_revocations_resend_task",
        "media.tasks.uploads_purge_unused_task",
        "media.tasks.media_deletions_resend_task",
        "infinitestories.api.tasks.idempotency_records_purge_task",
        "stories.tasks.generation_jobs_sweep_task",
        "usage.tasks.monthly_quota_reset_task",
        "usage.tasks.cost_reservations_release_stale_task",
        "usage.tasks.spend_counters_purge_task",
        "usage.tasks.usage_outbox_drain_task",
        "stories.tasks.failed_jobs_purge_task",
        "usage.tasks.moderation_records_purge_task",
        "infinitestories.api.tasks.health_deep_check_task",
        "media.tasks.media_reconcile_task",
        "media.tasks.media_pending_settle_task",
        "usage.tasks.model_watch_task",
    }
    assert scheduled <= set(app.tasks)


def test_beat_reads_its_schedule_from_the_database():
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    reset = PeriodicTask.objects.get(name="monthly-quota-reset")
    assert (reset.crontab.hour, reset.crontab.minute, str(reset.crontab.timezone)) == (
        "0",
        "5",
        "UTC",
    )
    assert PeriodicTask.objects.get(name="generation-jobs-sweep").interval.every == 60


def test_task_settings_are_json_only_acked_late_and_time_limited_inside_the_visibility_timeout():
    # The settings alone: a real worker killed mid-job is in
    # tests/e2e/test_generation_worker.py::test_worker_killed_mid_job_is_swept_and_finished_once.
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_time_limit < app.conf.broker_transport_options["visibility_timeout"]
