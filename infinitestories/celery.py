"""The Celery app. Tasks run in-process (eager) on the embedded default, on workers when REDIS_URL is set."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infinitestories.settings")

app = Celery("infinitestories")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
