import logging

from django.contrib.auth import get_user_model

from accounts.models import quota_period_current

from .models import UsageMetric
from .selectors import usage_cost

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


def monthly_quota_reset() -> int:
    """Start a new month for every user whose quota period is over.

    Idempotent, so beat runs it daily: a missed run is caught up the next day. Between runs,
    quota_period_roll resets a user's own count the moment they use the API.
    """
    start = quota_period_current()
    count = (
        get_user_model()
        .objects.filter(quota_period_start__lt=start)
        .update(monthly_stories_used=0, quota_period_start=start)
    )
    logger.info("Monthly story quota reset for %d users", count)
    return count


def quota_period_roll(*, user) -> None:
    """Reset this user's monthly count if their period is over (one conditional UPDATE, once)."""
    start = quota_period_current()
    if user.quota_period_start >= start:
        return
    get_user_model().objects.filter(pk=user.pk, quota_period_start__lt=start).update(
        monthly_stories_used=0, quota_period_start=start
    )
    user.refresh_from_db(fields=["monthly_stories_used", "quota_period_start"])
