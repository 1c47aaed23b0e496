"""The user's own data: profile preferences, GDPR export, account deletion (PRD 6.6 and 11)."""

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from heroes.models import Hero
from heroes.serializers import HeroOutputSerializer
from infinitestories.services import model_update
from media.models import FileUpload
from media.serializers import FileUploadOutputSerializer
from media.services import media_delete_on_commit
from stories.models import CustomStoryEvent, Story, StoryIllustration
from stories.serializers import (
    CustomEventOutputSerializer,
    IllustrationOutputSerializer,
    StoryOutputSerializer,
)
from usage.models import UsageMetric

from .models import BearerSession, User
from .profile_serializers import ProfileOutputSerializer
from .services import sessions_revoke_all

PROFILE_FIELDS = ("name", "preferred_language", "theme_preference")


def user_profile_update(*, user: User, **fields) -> User:
    return model_update(instance=user, fields=PROFILE_FIELDS, data=fields)


def _usage_rows(*, user: User) -> list[dict]:
    """The user's AI usage rows, every column but the user."""
    model = UsageMetric
    rows = []
    for row in model.objects.filter(user=user).order_by("created_at"):
        item = {}
        for field in model._meta.concrete_fields:
            if field.name == "user":
                continue
            value = getattr(row, field.attname)
            item[field.name] = (
                value if isinstance(value, str | int | float | bool | type(None)) else str(value)
            )
        rows.append(item)
    return rows


def user_export(*, user: User) -> dict:
    """Everything the user owns, as JSON-ready data (GDPR access): nothing of anyone else, and no
    secrets (no password hash, no session token hashes)."""
    heroes = Hero.objects.filter(user=user).select_related("visual_profile").order_by("created_at")
    stories = (
        Story.objects.filter(user=user)
        .select_related("hero")
        .prefetch_related(
            Prefetch("illustrations", queryset=StoryIllustration.objects.order_by("display_order"))
        )
        .order_by("created_at")
    )
    story_rows = []
    for story in stories:
        data = StoryOutputSerializer(story).data
        data["illustrations"] = IllustrationOutputSerializer(
            story.illustrations.all(), many=True
        ).data
        story_rows.append(data)
    sessions = BearerSession.objects.filter(user=user).order_by("created_at")
    return {
        "exported_at": timezone.now(),
        "user": ProfileOutputSerializer(user).data,
        "heroes": HeroOutputSerializer(heroes, many=True).data,
        "stories": story_rows,
        "custom_events": CustomEventOutputSerializer(
            CustomStoryEvent.objects.filter(user=user).order_by("created_at"), many=True
        ).data,
        "files": FileUploadOutputSerializer(
            FileUpload.objects.filter(user=user).order_by("created_at"), many=True
        ).data,
        "sessions": [
            {
                "id": session.id,
                "created_at": session.created_at,
                "last_used_at": session.last_used_at,
                "expires_at": session.expires_at,
                "revoked_at": session.revoked_at,
                "ip_address": session.ip_address,
                "user_agent": session.user_agent,
            }
            for session in sessions
        ],
        "usage": _usage_rows(user=user),
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


@transaction.atomic
def user_account_delete(*, user: User) -> None:
    """Delete the account and everything it owns (PRD 11).

    1. Collect every storage key the user's rows reference.
    2. Revoke every session (the rows go with the user too; revoking first keeps a concurrent
       request from using one in between).
    3. Delete the user: heroes, stories, illustrations, events, uploads, jobs cascade.
    4. After commit, delete the files (retried tasks), so a rollback never loses a file.
    """
    keys = user_storage_keys(user=user)
    sessions_revoke_all(user=user)
    user.delete()
    media_delete_on_commit(keys=keys)
