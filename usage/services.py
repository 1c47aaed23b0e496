import logging

from django.contrib.auth import get_user_model

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
    """Start every user's month afresh (beat runs it at midnight UTC on the 1st)."""
    count = get_user_model().objects.exclude(monthly_stories_used=0).update(monthly_stories_used=0)
    logger.info("Monthly story quota reset for %d users", count)
    return count
