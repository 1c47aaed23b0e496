"""Reads of the user's own data."""

import functools

from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone

from heroes.models import Hero
from infinitestories import prepared
from media.models import FileUpload
from notifications.models import Device
from stories.models import (
    CustomStoryEvent,
    GenerationJob,
    NarrationTimings,
    Story,
    StoryIllustration,
)
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
    # Files a job made that no story points at (a narration whose job failed or was replaced).
    keys |= set(
        NarrationTimings.objects.filter(story__user=user).values_list("audio_key", flat=True)
    )
    made = GenerationJob.objects.filter(user=user).values_list("output_key", flat=True)
    keys |= {key for key in made if isinstance(key, str)}
    keys.discard("")
    return keys


def consent_current(*, user: User) -> ParentalConsent | None:
    """The parent's consent in force (the latest not withdrawn), whichever policy it was to."""
    return (
        ParentalConsent.objects.filter(user=user, withdrawn_at__isnull=True)
        .order_by("-consented_at", "-id")
        .first()
    )


# --- The bearer session on every signed-in request ----------------------------------------------


@functools.cache
def _session_lookup() -> str:
    """The SQL of `session_by_token_hash`, written once per process (infinitestories.prepared)."""
    quote = connection.ops.quote_name
    # Identifiers only, from the models and quoted; the values are parameters.
    return (
        f"SELECT {', '.join(prepared.columns(BearerSession, 's') + prepared.columns(User, 'u'))} "  # noqa: S608
        f"FROM {quote(BearerSession._meta.db_table)} s "
        f"JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = "
        f"s.{quote(BearerSession._meta.get_field('user').column)} "
        "WHERE s.token_hash = %s AND s.revoked_at IS NULL AND s.expires_at > %s "
        "AND u.is_active LIMIT 1"
    )


def session_by_token_hash(*, digest: str, now) -> BearerSession | None:
    """The live session with this token hash, its user loaded with it (one query on the unique
    index of token_hash); None when it is unknown, revoked, expired or its user inactive."""
    with connection.cursor() as cursor:
        cursor.execute(_session_lookup(), [digest, now])
        row = cursor.fetchone()
    if row is None:
        return None
    split = prepared.width(BearerSession)
    session = prepared.instance(BearerSession, row[:split])
    session.user = prepared.instance(User, row[split:])
    return session
