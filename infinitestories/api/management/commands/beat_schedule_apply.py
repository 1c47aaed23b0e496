"""Write the periodic jobs declared in infinitestories.schedule into beat's tables, updating the
rows that exist (a deployed schedule follows the code)."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from infinitestories.schedule import SCHEDULE


def beat_schedule_apply(*, schedule: dict | None = None) -> tuple[int, int]:
    """Create or update one PeriodicTask per entry (task, timing); returns (created, updated).
    Rows the code does not name are left alone (staff's own)."""
    created = updated = 0
    with transaction.atomic():
        for name, (task, when) in (schedule or SCHEDULE).items():
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
                timing = {"crontab": crontab, "interval": None}
            else:
                interval, _ = IntervalSchedule.objects.get_or_create(
                    every=when, period=IntervalSchedule.SECONDS
                )
                timing = {"interval": interval, "crontab": None}
            row = PeriodicTask.objects.filter(name=name).first()
            if row is None:
                PeriodicTask.objects.create(name=name, task=task, **timing)
                created += 1
                continue
            wanted = {"task": task, **timing}
            if any(getattr(row, field) != value for field, value in wanted.items()):
                for field, value in wanted.items():
                    setattr(row, field, value)
                row.save()  # save(): beat's change marker (PeriodicTasks) is bumped
                updated += 1
    return created, updated


class Command(BaseCommand):
    help = "Apply the periodic jobs declared in infinitestories/schedule.py to beat's tables."

    def handle(self, *args, **options):
        created, updated = beat_schedule_apply()
        self.stdout.write(f"Beat schedule applied: {created} created, {updated} updated.")
