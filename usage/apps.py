from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "usage"
    verbose_name = "AI usage and costs"
    default_auto_field = "django.db.models.BigAutoField"
