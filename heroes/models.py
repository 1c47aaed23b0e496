from django.conf import settings
from django.db import models

from infinitestories.ids import PublicIdField


class Hero(models.Model):
    """A child's hero. Deleting it keeps its stories (their hero becomes null)."""

    # The fields the family writes; the avatar and its prompt are the server's.
    FAMILY_FIELDS = ("name", "age", "traits", "appearance", "abilities")

    id = PublicIdField(prefix="hero")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="heroes"
    )
    name = models.CharField(max_length=100)
    age = models.PositiveSmallIntegerField()
    traits = models.JSONField(default=list)
    appearance = models.CharField(max_length=500)
    abilities = models.JSONField(default=list, blank=True)

    # The avatar lives in object storage; its URL is made from the key when shown.
    avatar_key = models.CharField(max_length=255, blank=True)
    avatar_prompt = models.TextField(blank=True)
    avatar_generation_id = models.CharField(max_length=100, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "heroes"
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user", "name"]),
        ]

    def __str__(self) -> str:
        return self.name


class HeroVisualProfile(models.Model):
    """How the hero looks, extracted once from the avatar; every illustration prompt starts here."""

    id = PublicIdField(prefix="hvp")
    hero = models.OneToOneField(Hero, on_delete=models.CASCADE, related_name="visual_profile")

    hair_color = models.CharField(max_length=100, blank=True)
    hair_style = models.CharField(max_length=100, blank=True)
    eye_color = models.CharField(max_length=100, blank=True)
    skin_tone = models.CharField(max_length=100, blank=True)
    body_type = models.CharField(max_length=100, blank=True)
    height = models.CharField(max_length=100, blank=True)

    clothing_style = models.CharField(max_length=200, blank=True)
    color_palette = models.JSONField(default=list, blank=True)
    accessories = models.JSONField(default=list, blank=True)

    art_style = models.CharField(max_length=200, blank=True)
    canonical_prompt = models.TextField(blank=True)
    simplified_prompt = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Visual profile of {self.hero}"
