"""The Celery app. Tasks run in-process (eager) on the embedded default, on workers when REDIS_URL is set."""

import os

import structlog
from celery import Celery
from celery.signals import setup_logging, worker_init, worker_process_init
from django.dispatch import receiver
from django_structlog.celery.signals import bind_extra_task_metadata
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infinitestories.settings")

app = Celery("infinitestories")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Worker lines carry the task id and the request id of the request that started the task.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _logging_from_django_settings(**kwargs) -> None:
    """Workers log through the same JSON formatter as the web (Celery's own setup is skipped)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@worker_init.connect
def _providers_imported_before_fork(**kwargs) -> None:
    """The pool's processes inherit the AI SDKs already imported (see providers_warm_up), and
    check their database connection before each task: a worker idles for hours between tasks."""
    from django.conf import settings

    from infinitestories.ai.chain import providers_warm_up

    settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

    providers_warm_up()


@worker_process_init.connect
def _providers_ready_in_each_process(**kwargs) -> None:
    """Each pool process makes its own HTTP clients before its first task, not during it."""
    from infinitestories.ai.chain import providers_warm_up

    providers_warm_up(fresh=True)


@receiver(bind_extra_task_metadata)
def _bind_job_id(sender, task, logger, **kwargs) -> None:
    """A generation task's lines (task_started, task_succeeded, ...) carry its job id."""
    job_id = (task.request.kwargs or {}).get("job_id")
    if job_id:
        structlog.contextvars.bind_contextvars(job_id=job_id)
