from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "usage"
    verbose_name = "AI usage and costs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The AI layer meters every call through this app's recorder; the core imports no app,
        # so it is told here, at start (with stories' queue state, the places the core learns of an app).
        from infinitestories.ai.chain import model_watch_register
        from infinitestories.ai.metering import usage_sink_register

        from .services import model_watch, usage_record

        usage_sink_register(usage_record)
        # and the shutdown watch hears of "model not found" answers and checks dates at boot
        model_watch_register(
            not_found=model_watch.model_not_found_report,
            boot_check=model_watch.model_shutdowns_warn,
        )
