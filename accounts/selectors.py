"""Reads of the user's own data."""

from django.db.models import Prefetch
from django.utils import timezone

from heroes.models import Hero
from media.models import FileUpload
from notifications.models import Device
from stories.models import CustomStoryEvent, Story, StoryIllustration
from usage.selectors import usage_export_rows

from .models import BearerSession, ParentalConsent, User


def user_export(*, user: User) -> dict:
    """Everything the user owns (GDPR access), for ExportOutputSerializer: nothing of anyone
    else, and no secrets (no password hash, no session token hashes)."""
    return {
        "exported_at": timezone.now(),
        "user": user,
        "heroes": Hero.objects.filter(user=user)
        .select_related("visual_profile")
        .order_by("created_at"),
        "stories": Story.objects.filter(user=user)
        .select_related("hero")
        .prefetch_related(
            Prefetch("illustrations", queryset=StoryIllustration.objects.order_by("display_order"))
        )
        .order_by("created_at"),
        "custom_events": CustomStoryEvent.objects.filter(user=user).order_by("created_at"),
        "files": FileUpload.objects.filter(user=user).order_by("created_at"),
        "sessions": BearerSession.objects.filter(user=user).order_by("created_at"),
        "parental_consents": ParentalConsent.objects.filter(user=user).order_by("consented_at"),
        "devices": Device.objects.filter(user=user).order_by("created_at"),
        "usage": usage_export_rows(user=user),
    }


def user_storage_keys(*, user: User) -> set[str]:
    """Every stored file the user's rows point at."""
    keys = set(Hero.objects.filter(user=user).values_list("avatar_key", flat=True))
    keys |= set(Story.objects.filter(user=user).values_list("audio_key", flat=True))
    keys |= set(
        StoryIllustration.objects.filter(story__user=user).values_list("image_key", flat=True)
    )
    keys |= set(CustomStoryEvent.objects.filter(user=user).values_list("pictogram_key", flat=True))
    keys |= set(FileUpload.objects.filter(user=user).values_list("storage_key", flat=True))
    keys.discard("")
    return keys


def consent_current(*, user: User) -> ParentalConsent | None:
    """The parent's consent in force (the latest not withdrawn), whichever policy it was to."""
    return (
        ParentalConsent.objects.filter(user=user, withdrawn_at__isnull=True)
        .order_by("-consented_at", "-id")
        .first()
    )
