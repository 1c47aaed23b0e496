from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "stories"
    verbose_name = "Stories"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # /health/ready reports the job queue; the core imports no app, so it is told here, at
        # start (one of the two places, with usage's recorder of AI calls).
        from infinitestories.api.health import queue_state_register

        from .selectors import jobs_queue_state

        queue_state_register(jobs_queue_state)
