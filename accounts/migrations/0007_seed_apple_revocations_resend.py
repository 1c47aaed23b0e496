"""The daily resend of Apple revocations still waiting (accounts.AppleTokenRevocation), added to
the database schedule."""

from importlib import import_module

from django.db import migrations

beat = import_module("usage.migrations.0009_seed_beat_schedule")

SCHEDULE = {
    "apple-revocations-resend": ("accounts.tasks.apple_revocations_resend_task", (3, 30)),
}


def seed(apps, schema_editor):
    beat.seed_schedule(apps, SCHEDULE)


def unseed(apps, schema_editor):
    beat.unseed_schedule(apps, SCHEDULE)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_apple_sign_in"),
        ("usage", "0011_seed_retention_and_deletion_jobs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
