"""The retention jobs (README "What we keep") and the resend of unconfirmed file deletions,
added to the database schedule."""

from importlib import import_module

from django.db import migrations

beat = import_module("usage.migrations.0009_seed_beat_schedule")

SCHEDULE = {
    # Daily, in the quiet hours (UTC).
    "purge-failed-generation-jobs": ("stories.tasks.failed_jobs_purge_task", (3, 20)),
    "purge-moderation-records": ("usage.tasks.moderation_records_purge_task", (3, 25)),
    # A deletion storage has not confirmed is sent again (media.PendingDeletion).
    "media-deletions-resend": ("media.tasks.media_deletions_resend_task", 5 * 60),
}


def seed(apps, schema_editor):
    beat.seed_schedule(apps, SCHEDULE)


def unseed(apps, schema_editor):
    beat.unseed_schedule(apps, SCHEDULE)


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0010_costreservation_operation_transcription"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
