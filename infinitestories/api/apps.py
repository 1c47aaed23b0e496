from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The API plumbing shared by every domain app (it owns one model: idempotency records)."""

    name = "infinitestories.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"
