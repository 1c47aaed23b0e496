"""The deep health check (a storage write, a worker ping) runs every minute on a worker;
/api/health reads its result from the cache (infinitestories.api.health)."""

from importlib import import_module

from django.db import migrations

beat = import_module("usage.migrations.0009_seed_beat_schedule")

SCHEDULE = {"health-deep-check": ("infinitestories.api.tasks.health_deep_check_task", 60)}


def seed(apps, schema_editor):
    beat.seed_schedule(apps, SCHEDULE)


def unseed(apps, schema_editor):
    beat.unseed_schedule(apps, SCHEDULE)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("usage", "0011_seed_retention_and_deletion_jobs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
