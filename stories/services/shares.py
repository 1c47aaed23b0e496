"""Private share links: make one for a story, revoke it, open it (count a view).

A link is `/s/<secret>`: 32 URL-safe characters from `secrets` (192 bits), kept only as its
SHA-256, so a copy of the database cannot open any story. A story has at most
SHARE_MAX_LIVE_PER_STORY live links (neither revoked nor expired).
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from infinitestories.api.errors import ApplicationError

from ..errors import SHARE_LIMIT_REACHED
from ..models import Story, StoryShare

# Enough for the people a family sends one story to (grandparents, a co-parent, a sitter); few
# enough that forgotten links do not pile up.
SHARE_MAX_LIVE_PER_STORY = 5
SHARE_DAYS_DEFAULT = 30
SHARE_DAYS_MAX = 90
# 24 bytes: 192 bits of randomness, 32 characters in the link.
_SECRET_BYTES = 24


@dataclass(frozen=True)
class NewShare:
    share: StoryShare
    secret: str  # shown to the family once; never stored


def share_create(*, story: Story, expires_in_days: int = SHARE_DAYS_DEFAULT, hide_name=False):
    """Make a link to `story` that works for `expires_in_days` days.

    The story row is locked while the live links are counted, so parallel requests cannot pass
    SHARE_MAX_LIVE_PER_STORY together; over it is 409 SHARE_LIMIT_REACHED and nothing is written.
    """
    now = timezone.now()
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    with transaction.atomic():
        Story.objects.select_for_update().filter(pk=story.pk).exists()
        live = StoryShare.objects.filter(story=story, revoked_at=None, expires_at__gt=now).count()
        if live >= SHARE_MAX_LIVE_PER_STORY:
            raise ApplicationError(
                SHARE_LIMIT_REACHED,
                _(
                    "This story already has %(limit)s active links. Remove one before making "
                    "another."
                )
                % {"limit": SHARE_MAX_LIVE_PER_STORY},
                status=409,
                details={"limit": SHARE_MAX_LIVE_PER_STORY},
            )
        share = StoryShare.objects.create(
            story=story,
            secret_hash=StoryShare.hash_secret(secret),
            hide_name=hide_name,
            expires_at=now + timedelta(days=expires_in_days),
        )
    return NewShare(share=share, secret=secret)


def share_revoke(*, share: StoryShare) -> StoryShare:
    """End the link now: the page and its media answer 404 from the next request on."""
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        StoryShare.objects.filter(pk=share.pk, revoked_at=None).update(revoked_at=share.revoked_at)
    return share


def share_view_count(*, share: StoryShare) -> None:
    """One more opening of the page, counted atomically; who opened it is not recorded."""
    StoryShare.objects.filter(pk=share.pk).update(
        view_count=F("view_count") + 1, last_viewed_at=timezone.now()
    )
