"""Set and read a family's monthly story quota (usage.StoryQuota) in tests."""

from usage.models import StoryQuota
from usage.selectors import story_quota


def set_quota(user, *, used: int = 0, limit: int = 10, period_start=None) -> StoryQuota:
    values = {"stories_used": used, "stories_limit": limit}
    if period_start is not None:
        values["period_start"] = period_start
    quota, _ = StoryQuota.objects.update_or_create(user=user, defaults=values)
    return quota


def stories_used(user) -> int:
    """This month's count, as the API shows it."""
    return story_quota(user=user).stories_used
