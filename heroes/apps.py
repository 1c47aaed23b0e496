from django.apps import AppConfig


class HeroesConfig(AppConfig):
    name = "heroes"
    default_auto_field = "django.db.models.BigAutoField"
