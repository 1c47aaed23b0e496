import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from infinitestories.ai.base import Operation

from .errors import consent_required, quota_exceeded
from .models import StoryQuota, UsageMetric, quota_period_current
from .selectors import story_quota, usage_cost

logger = logging.getLogger(__name__)


def usage_record(
    *,
    user_id: str | None,
    operation: str,
    vendor: str,
    model: str,
    unit: str,
    input_units: int,
    output_units: int,
    usage_reported: bool,
    latency_ms: int,
    success: bool,
    error: str = "",
    prompt_version: str = "",
    story_id: str = "",
    hero_id: str = "",
    job_id: str = "",
) -> UsageMetric:
    """Write one usage row; its cost comes from the price table (tokens reported by the API)."""
    cost = usage_cost(
        vendor=vendor, model=model, unit=unit, input_units=input_units, output_units=output_units
    )
    return UsageMetric.objects.create(
        user_id=user_id,
        operation=operation,
        vendor=vendor,
        model=model,
        unit=unit,
        input_units=input_units,
        output_units=output_units,
        usage_reported=usage_reported,
        cost=cost,
        latency_ms=latency_ms,
        success=success,
        error=error[:500],
        prompt_version=prompt_version,
        story_id=story_id or "",
        hero_id=hero_id or "",
        job_id=job_id or "",
    )


def moderation_records_purge() -> int:
    """Delete the log of moderation calls older than RETENTION_MODERATION_DAYS (a daily beat
    job). They cost nothing and show when the family's text and pictures were checked; past
    that they answer no question a family or staff asks. Their hits are in the application log,
    without the text."""
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_MODERATION_DAYS)
    deleted, _ = UsageMetric.objects.filter(
        operation=Operation.MODERATION, created_at__lt=cutoff
    ).delete()
    return deleted


def monthly_quota_reset() -> int:
    """Start a new month for every quota whose period is over.

    Idempotent, so beat runs it daily: a missed run is caught up the next day. Between runs a
    period that is over already reads as zero (selectors.story_quota) and is reset by the next
    charge (story_quota_charge), so no family waits for this job.
    """
    start = quota_period_current()
    count = StoryQuota.objects.filter(period_start__lt=start).update(
        stories_used=0, period_start=start
    )
    logger.info("Monthly story quota reset for %d users", count)
    return count


def ai_work_admit(*, user, operation: str, units: int = 1) -> None:
    """The one door to paid AI work. Every path that starts an AI operation (a story, narration,
    pictures, an avatar), whichever endpoint it comes from, asks here first, before any AI call;
    a refusal raises, with nothing queued or charged. `operation` names the work (an
    infinitestories.ai.base.Operation) and `units` how much of it (pictures for images).

    Every rule that limits AI work belongs here: meter the operation, not the endpoint.
    """
    ai_consent_check(user=user)
    if operation == Operation.STORY_GENERATION:
        story_quota_check(user=user)


def ai_consent_check(*, user) -> None:
    """Refuse (403 CONSENT_REQUIRED) any AI processing of a family's data until a parent has
    consented to the current policy (PARENTAL_CONSENT_POLICY_VERSION), and after a withdrawal.
    Read from the user row, which accounts keeps in step with the consent history."""
    if not settings.PARENTAL_CONSENT_REQUIRED:
        return
    if user.parental_consent_version != settings.PARENTAL_CONSENT_POLICY_VERSION:
        raise consent_required()


def story_quota_check(*, user) -> None:
    """Refuse (429 QUOTA_EXCEEDED) when no story is left this month: the cheap check made before
    any paid AI call. story_quota_charge is the one that holds under concurrency."""
    quota = story_quota(user=user)
    if quota.stories_used >= quota.stories_limit:
        raise quota_exceeded(stories_used=quota.stories_used, stories_limit=quota.stories_limit)


def story_quota_charge(*, user) -> None:
    """Take one story of this month's quota, in the caller's transaction.

    One conditional UPDATE both starts a new month when the period is over and refuses when the
    quota is used up, so ten parallel requests with one story left charge exactly one.
    """
    StoryQuota.objects.get_or_create(user=user)
    start = quota_period_current()
    new_period = Q(period_start__lt=start)
    charged = (
        StoryQuota.objects.filter(user=user)
        .filter((new_period & Q(stories_limit__gt=0)) | Q(stories_used__lt=F("stories_limit")))
        .update(
            stories_used=Case(When(new_period, then=Value(1)), default=F("stories_used") + 1),
            period_start=start,
        )
    )
    if not charged:
        quota = story_quota(user=user)
        raise quota_exceeded(stories_used=quota.stories_used, stories_limit=quota.stories_limit)
