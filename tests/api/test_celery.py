from django.conf import settings

from infinitestories.celery import app


def test_every_beat_job_names_a_registered_task():
    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled == {
        "accounts.tasks.sessions_purge_expired_task",
        "media.tasks.uploads_purge_unused_task",
        "media.tasks.media_deletions_resend_task",
        "infinitestories.api.tasks.idempotency_records_purge_task",
        "stories.tasks.generation_jobs_sweep_task",
        "usage.tasks.monthly_quota_reset_task",
    }
    assert scheduled <= set(app.tasks)


def test_tasks_are_json_only_and_survive_a_worker_crash():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_time_limit < app.conf.broker_transport_options["visibility_timeout"]
