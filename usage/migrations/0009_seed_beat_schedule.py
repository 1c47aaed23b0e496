"""The periodic jobs, seeded into django-celery-beat's tables: staff see and edit them in the
admin (Periodic tasks), and beat's database scheduler keeps their last-run state across restarts.

Task names are the schedule's contract with the code (tests/infinitestories/test_celery.py checks each one is
a registered task). Periodic jobs are now declared in infinitestories/schedule.py and applied by
`manage.py beat_schedule_apply`, which also updates existing rows; this migration is history.
"""

from django.db import migrations

EVERY_DAY = 24 * 3600

# name -> (task, schedule): an interval in seconds, or a daily (hour, minute) in UTC.
SCHEDULE = {
    "generation-jobs-sweep": ("stories.tasks.generation_jobs_sweep_task", 60),
    # Idempotent, so a run missed on the 1st is caught up the next day.
    "monthly-quota-reset": ("usage.tasks.monthly_quota_reset_task", (0, 5)),
    "release-stale-cost-reservations": ("usage.tasks.cost_reservations_release_stale_task", 600),
    "purge-old-spend-counters": ("usage.tasks.spend_counters_purge_task", EVERY_DAY),
    "purge-dead-sessions": ("accounts.tasks.sessions_purge_expired_task", EVERY_DAY),
    "purge-unused-uploads": ("media.tasks.uploads_purge_unused_task", EVERY_DAY),
    "purge-idempotency-records": (
        "infinitestories.api.tasks.idempotency_records_purge_task",
        EVERY_DAY,
    ),
}


def seed_schedule(apps, schedule: dict) -> None:
    """Create each entry of `schedule` unless a task of that name exists (staff may have edited
    it). Later migrations that add periodic jobs call this too."""
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    for name, (task, when) in schedule.items():
        if isinstance(when, tuple):
            hour, minute = when
            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=str(minute),
                hour=str(hour),
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone="UTC",
            )
            schedule = {"crontab": crontab, "interval": None}
        else:
            interval, _ = IntervalSchedule.objects.get_or_create(every=when, period="seconds")
            schedule = {"interval": interval, "crontab": None}
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, **schedule})


def unseed_schedule(apps, schedule: dict) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=list(schedule)
    ).delete()


def seed(apps, schema_editor):
    seed_schedule(apps, SCHEDULE)


def unseed(apps, schema_editor):
    unseed_schedule(apps, SCHEDULE)


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0008_storyquota_limit_from_plan"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
