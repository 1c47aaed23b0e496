"""The beat schedule is declared once (infinitestories.schedule) and applied by a command that
updates the rows a deploy already has; `make dev` and the release step run it."""

from pathlib import Path

from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from infinitestories.api.management.commands.beat_schedule_apply import beat_schedule_apply
from infinitestories.celery import app
from infinitestories.schedule import SCHEDULE

ROOT = Path(__file__).resolve().parents[2]


def test_a_deployed_schedule_follows_the_code():
    # given the schedule as an older release left it: one job at another interval, one missing
    beat_schedule_apply()
    sweep = PeriodicTask.objects.get(name="release-stale-cost-reservations")
    sweep.interval, _ = IntervalSchedule.objects.get_or_create(every=600, period="seconds")
    sweep.save()
    PeriodicTask.objects.filter(name="purge-dead-sessions").delete()
    staffs_own = PeriodicTask.objects.create(
        name="staff-made",
        task="usage.tasks.spend_counters_purge_task",
        interval=IntervalSchedule.objects.get_or_create(every=7, period="seconds")[0],
    )

    created, updated = beat_schedule_apply()

    assert (created, updated) == (1, 1)
    assert PeriodicTask.objects.get(name="release-stale-cost-reservations").interval.every == 60
    assert PeriodicTask.objects.filter(name="purge-dead-sessions").exists()
    assert PeriodicTask.objects.get(pk=staffs_own.pk).interval.every == 7
    # and applying again changes nothing
    assert beat_schedule_apply() == (0, 0)


def test_a_changed_daily_time_reaches_the_row():
    schedule = {"monthly-quota-reset": ("usage.tasks.monthly_quota_reset_task", (1, 30))}

    assert beat_schedule_apply(schedule=schedule) == (0, 1)

    crontab = PeriodicTask.objects.get(name="monthly-quota-reset").crontab
    assert (crontab.hour, crontab.minute, str(crontab.timezone)) == ("1", "30", "UTC")
    assert CrontabSchedule.objects.filter(hour="0", minute="5").exists()


def test_every_declared_job_names_a_registered_task_and_the_database_has_them_all():
    app.loader.import_default_modules()
    call_command("beat_schedule_apply")

    assert {task for task, _ in SCHEDULE.values()} <= set(app.tasks)
    rows = dict(PeriodicTask.objects.values_list("name", "task"))
    assert {name: task for name, (task, _) in SCHEDULE.items()}.items() <= rows.items()


def test_the_release_step_and_make_dev_apply_it():
    release = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("release:")
    )
    assert "migrate" in release and release.endswith("manage.py beat_schedule_apply")
    makefile = (ROOT / "Makefile").read_text()
    dev = makefile[makefile.index("\ndev:") :].split("\n\n")[0]
    assert dev.index("migrate") < dev.index("beat_schedule_apply")
