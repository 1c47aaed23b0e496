from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from .models import Operation, Price, StoryQuota, UsageMetric, quota_period_current


def story_quota(*, user) -> StoryQuota:
    """The user's quota as it stands now (unsaved): a period that is over counts from zero, and a
    user who never made a story has the default allowance."""
    quota = StoryQuota.objects.filter(user=user).first() or StoryQuota(user=user)
    start = quota_period_current()
    if quota.period_start < start:
        quota.stories_used, quota.period_start = 0, start
    return quota


def price_per_unit(*, vendor: str, model: str, unit: str, at: datetime | None = None) -> Decimal:
    """The list price in force at `at` for one unit, or 0 when no price is known (local).

    Vendors answer with a dated snapshot name (`gpt-5.4-2026-03-05`) where we asked for its alias:
    a price row names the alias and covers its snapshots; the longest matching name wins
    (`gpt-5.4-mini-…` is priced as gpt-5.4-mini, not gpt-5.4).
    """
    day = timezone.localdate(at or timezone.now())
    rows = Price.objects.filter(vendor=vendor, unit=unit, effective_from__lte=day).order_by(
        "-effective_from"
    )
    matching = [row for row in rows if model == row.model or model.startswith(row.model + "-")]
    if not matching:
        return Decimal(0)
    return max(matching, key=lambda row: (len(row.model), row.effective_from)).per_unit


def usage_cost(
    *, vendor: str, model: str, unit: str, input_units: int, output_units: int
) -> Decimal:
    """Tokens are priced per input and output token; characters, images and seconds of audio
    transcribed per unit."""
    if unit == "tokens":
        cost = input_units * price_per_unit(
            vendor=vendor, model=model, unit=Price.Unit.INPUT_TOKEN
        ) + output_units * price_per_unit(vendor=vendor, model=model, unit=Price.Unit.OUTPUT_TOKEN)
    elif unit == "characters":
        cost = input_units * price_per_unit(vendor=vendor, model=model, unit=Price.Unit.CHARACTER)
    elif unit == "images":
        cost = output_units * price_per_unit(vendor=vendor, model=model, unit=Price.Unit.IMAGE)
    elif unit == "seconds":
        cost = input_units * price_per_unit(vendor=vendor, model=model, unit=Price.Unit.SECOND)
    else:
        cost = Decimal(0)
    return cost.quantize(Decimal("0.000001"))


def _period_start(period: str) -> tuple[datetime | None, datetime | None]:
    now = timezone.localtime()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "current_month":
        return month_start, None
    if period == "last_month":
        previous = (month_start - timezone.timedelta(days=1)).replace(day=1)
        return previous, month_start
    return None, None


def usage_for_period(*, user, period: str) -> QuerySet[UsageMetric]:
    start, end = _period_start(period)
    rows = UsageMetric.objects.filter(user=user)
    if start:
        rows = rows.filter(created_at__gte=start)
    if end:
        rows = rows.filter(created_at__lt=end)
    return rows


def usage_summary(*, user, period: str) -> dict:
    """PRD 6.6: totals and a per-operation breakdown of the user's AI usage in a period."""
    rows = usage_for_period(user=user, period=period)
    tokens = Q(unit="tokens")
    breakdown = list(
        rows.values("operation")
        .annotate(
            count=Count("id"),
            cost=Sum("cost"),
            tokens_in=Sum("input_units", filter=tokens),
            tokens_out=Sum("output_units", filter=tokens),
        )
        .order_by("operation")
    )
    by_op = {}
    for row in breakdown:
        tokens_used = None
        if row["tokens_in"] is not None or row["tokens_out"] is not None:
            tokens_used = (row["tokens_in"] or 0) + (row["tokens_out"] or 0)
        by_op[row["operation"]] = {
            "operation": row["operation"],
            "count": row["count"],
            "cost": float(row["cost"] or 0),
            "tokens_used": tokens_used,
        }
    successful = rows.filter(success=True)
    stories = successful.filter(operation=Operation.STORY_GENERATION).values("story_id").distinct()
    audio = successful.filter(operation=Operation.AUDIO_SYNTHESIS).values("story_id").distinct()
    images = successful.filter(
        operation__in=[Operation.IMAGE_GENERATION, Operation.AVATAR_GENERATION]
    ).count()
    total_cost = sum((item["cost"] for item in by_op.values()), 0.0)
    total_tokens = sum(item["tokens_used"] or 0 for item in by_op.values())
    quota = story_quota(user=user)
    limit, used = quota.stories_limit, quota.stories_used
    return {
        "period": period,
        "summary": {
            "total_cost": round(total_cost, 6),
            "stories_generated": stories.exclude(story_id="").count(),
            "audio_generated": audio.exclude(story_id="").count(),
            "images_generated": images,
            "total_tokens_used": total_tokens,
        },
        "breakdown": list(by_op.values()),
        "limits": {
            "stories_used": used,
            "stories_limit": limit,
            "percentage": round(100 * used / limit) if limit else 100,
        },
    }


def usage_export_rows(*, user) -> list[dict]:
    """The user's AI usage rows, every column but the user, as JSON-ready values (the export)."""
    rows = []
    for row in UsageMetric.objects.filter(user=user).order_by("created_at"):
        item = {}
        for field in UsageMetric._meta.concrete_fields:
            if field.name == "user":
                continue
            value = getattr(row, field.attname)
            item[field.name] = (
                value if isinstance(value, str | int | float | bool | type(None)) else str(value)
            )
        rows.append(item)
    return rows
