"""The monthly story quota: the cheap check, the charge that holds under concurrency, the
family's 80 % and 100 % e-mails, and the monthly reset."""

import logging

from django.db import transaction
from django.db.models import Case, F, Q, Value, When

from ..errors import quota_exceeded
from ..models import Plan, QuotaResetRun, StoryQuota, quota_period_current
from ..selectors import plan_for, seconds_until_next_month, story_quota
from . import alerts

logger = logging.getLogger(__name__)


def story_quota_check(*, user, plan: Plan) -> None:
    """Refuse (429 QUOTA_EXCEEDED, Retry-After until the 1st) when no story is left this month:
    the cheap check made before any paid AI call. story_quota_charge is the one that holds under
    concurrency."""
    state = story_quota(user=user, plan=plan)
    if state.stories_used >= state.stories_limit:
        raise quota_exceeded(
            stories_used=state.stories_used,
            stories_limit=state.stories_limit,
            retry_after=seconds_until_next_month(),
        )


def story_quota_charge(*, user) -> None:
    """Take one story of this month's quota, in the caller's transaction.

    1. One conditional UPDATE both starts a new month when the period is over and refuses when
       the plan's allowance is used up, so ten parallel requests with one story left charge one.
    2. Crossing 80 % or reaching 100 % e-mails the family after commit, once a month each (a
       conditional UPDATE of the month it was sent for).
    """
    plan = plan_for(user=user)
    limit = plan.stories_per_month
    StoryQuota.objects.get_or_create(user=user)
    start = quota_period_current()
    new_period = Q(period_start__lt=start)
    charged = (
        StoryQuota.objects.filter(user=user)
        .filter((new_period | Q(stories_used__lt=limit)) if limit > 0 else Q(pk__in=[]))
        .update(
            stories_used=Case(When(new_period, then=Value(1)), default=F("stories_used") + 1),
            period_start=start,
        )
    )
    state = story_quota(user=user, plan=plan)
    if not charged:
        raise quota_exceeded(
            stories_used=state.stories_used,
            stories_limit=limit,
            retry_after=seconds_until_next_month(),
        )
    _story_quota_warn(user=user, state=state)


def _story_quota_warn(*, user, state) -> None:
    if state.alert is None:
        return
    mine = StoryQuota.objects.filter(user=user)
    kind = state.alert
    if kind == "at_limit":
        # Reaching 100 % also passes 80 %: one e-mail says so, and the 80 % one is not sent later.
        mine.exclude(warned_near_limit_for=state.period_start).update(
            warned_near_limit_for=state.period_start
        )
        first = mine.exclude(warned_at_limit_for=state.period_start).update(
            warned_at_limit_for=state.period_start
        )
    else:
        first = mine.exclude(warned_near_limit_for=state.period_start).update(
            warned_near_limit_for=state.period_start
        )
    if first:
        transaction.on_commit(
            lambda: alerts.story_quota_mail(user=user, state=state, kind=kind), robust=True
        )


def monthly_quota_reset() -> int:
    """Start a new month for every quota whose period is over, and record the run.

    Idempotent, so beat runs it daily: a missed run is caught up the next day. Between runs a
    period that is over already reads as zero (selectors.story_quota) and is reset by the next
    charge (story_quota_charge), so no family waits for this job.
    """
    start = quota_period_current()
    count = StoryQuota.objects.filter(period_start__lt=start).update(
        stories_used=0, period_start=start
    )
    QuotaResetRun.objects.create(users_reset=count)
    logger.info("Monthly story quota reset for %d users", count)
    return count
