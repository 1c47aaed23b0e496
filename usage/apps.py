from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "usage"
    verbose_name = "AI usage and costs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The AI layer meters every call through this app's recorder; the core imports no app,
        # so it is told here, at start (one of the two places, with stories' queue state).
        from infinitestories.ai.metering import usage_sink_register

        from .services import usage_record

        usage_sink_register(usage_record)
