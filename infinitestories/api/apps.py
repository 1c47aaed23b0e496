import time

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The API plumbing shared by every domain app (it owns one model: idempotency records)."""

    name = "infinitestories.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # django-structlog's documented hook for the access line (a library signal, not a step
        # of our own flows): method, path, status and duration as fields of their own.
        from django_structlog.signals import bind_extra_request_finished_metadata

        bind_extra_request_finished_metadata.connect(_access_fields, dispatch_uid="access-fields")

        from .ratelimit import policies_check

        policies_check()


def _access_fields(sender, request, logger, response, log_kwargs, **kwargs) -> None:
    log_kwargs["method"] = request.method
    log_kwargs["path"] = request.path
    log_kwargs["status"] = log_kwargs.pop("code")
    # The one line of a request (request_started is at DEBUG): it says who asked, too.
    log_kwargs["user_agent"] = request.META.get("HTTP_USER_AGENT")
    started = getattr(request, "started_at", None)
    if started is not None:
        log_kwargs["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
