"""What staff change from the admin: runtime switches, blocks, review flags."""

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ..models import AccountStanding, RuntimeSettings
from ..selectors import RUNTIME_SETTINGS_CACHE_KEY
from .work import ai_works_stop_refused


def runtime_settings_save(*, instance: RuntimeSettings) -> RuntimeSettings:
    """Save staff's switches (always row 1) and drop the cached copy after commit, so every
    process reads the new values on its next request."""
    instance.pk = 1
    instance.save()
    transaction.on_commit(lambda: cache.delete(RUNTIME_SETTINGS_CACHE_KEY))
    # then (the new switches read) running work they turn off stops before its next paid call
    transaction.on_commit(ai_works_stop_refused, robust=True)
    return instance


def standing_save(*, instance: AccountStanding) -> AccountStanding:
    """Save staff's edit of a family's standing (audited: who, when, before/after). A block is
    timed and lifting it clears its reason; clearing the review flag clears its reason too."""
    if instance.blocked and instance.blocked_at is None:
        instance.blocked_at = timezone.now()
    if not instance.blocked:
        instance.block_reason, instance.blocked_at = "", None
    if not instance.flagged_for_review:
        instance.flag_reason, instance.flagged_at = "", None
    instance.save()
    if instance.blocked:  # their running work stops before its next paid call
        user_id = instance.user_id
        transaction.on_commit(lambda: ai_works_stop_refused(user_id=user_id), robust=True)
    return instance


def standing_block(*, user, reason: str) -> AccountStanding:
    """Refuse the user's AI requests (403 ACCOUNT_BLOCKED) until staff unblock them."""
    standing, _ = AccountStanding.objects.get_or_create(user=user)
    standing.blocked, standing.block_reason = True, reason[:300]
    return standing_save(instance=standing)


def standing_unblock(*, user) -> AccountStanding:
    standing, _ = AccountStanding.objects.get_or_create(user=user)
    standing.blocked = False
    return standing_save(instance=standing)
