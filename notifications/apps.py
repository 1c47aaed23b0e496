from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Push notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import logging

        from .apns import DeviceTokensHidden

        logging.getLogger("httpx").addFilter(DeviceTokensHidden())
