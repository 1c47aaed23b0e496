"""Money: the usage log, what was spent and reserved per user and in all, reservations.

Reserve-then-settle: admitted work reserves its estimated cost against the user's daily and
monthly ceilings and the global monthly budget with conditional UPDATEs (a ceiling holds under
any number of parallel requests); each AI call adds its real cost to `spent` as it is recorded;
when the work ends, successful or not, its reservation is released (settled).
"""

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from infinitestories.ai.base import Operation

from ..errors import budget_exhausted, cost_ceiling_reached
from ..models import CostReservation, Plan, SpendCounter, UsageMetric, month_start
from ..selectors import (
    GLOBAL_SCOPE,
    seconds_until_next_month,
    seconds_until_tomorrow,
    usage_cost,
)
from . import alerts

logger = logging.getLogger(__name__)

DAY, MONTH = SpendCounter.Period.DAY, SpendCounter.Period.MONTH


def _counters(*, user_id: str | None, day: date, month: date) -> list[tuple[str, str, date]]:
    """The counters one cost goes to, always in this order (so row locks never deadlock)."""
    scopes = [(user_id, DAY, day), (user_id, MONTH, month)] if user_id else []
    return [*scopes, (GLOBAL_SCOPE, MONTH, month)]


def _counter_ensure(*, scope: str, period: str, start: date) -> None:
    SpendCounter.objects.get_or_create(scope=scope, period=period, start=start)


def _counter_add(*, scope: str, period: str, start: date, spent: Decimal) -> None:
    rows = SpendCounter.objects.filter(scope=scope, period=period, start=start)
    if rows.update(spent=F("spent") + spent):
        return
    try:
        with transaction.atomic():
            SpendCounter.objects.create(scope=scope, period=period, start=start, spent=spent)
    except IntegrityError:  # created by a parallel call meanwhile
        rows.update(spent=F("spent") + spent)


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
    """The AI layer's usage sink (registered in usage.apps): one row per call, priced with the price table,
    and its cost added to what the user and everyone spent (which may cross a budget alert)."""
    cost = usage_cost(
        vendor=vendor, model=model, unit=unit, input_units=input_units, output_units=output_units
    )
    with transaction.atomic():
        row = UsageMetric.objects.create(
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
        if cost:
            day = timezone.localdate(row.created_at)
            for scope, period, start in _counters(user_id=user_id, day=day, month=month_start(day)):
                _counter_add(scope=scope, period=period, start=start, spent=cost)
            alerts.budget_alerts_send(month=month_start(day))
    return row


def cost_reserve(
    *,
    user,
    operation: str,
    amount: Decimal,
    plan: Plan,
    budget: Decimal,
    units: int = 1,
    lease_until=None,
) -> CostReservation:
    """Hold `amount` against the user's daily and monthly ceilings and the global budget, all or
    nothing, and write the work's row (admitted). Over a ceiling: 429 QUOTA_EXCEEDED naming it;
    over the budget: 503 AI_BUDGET_EXHAUSTED. Nothing is held then. Free work (amount 0) gets
    its row too: its life is followed like any other."""
    today = timezone.localdate()
    month = month_start(today)
    ceilings = {
        (user.pk, DAY, today): (plan.daily_cost_ceiling, "daily_cost"),
        (user.pk, MONTH, month): (plan.monthly_cost_ceiling, "monthly_cost"),
        (GLOBAL_SCOPE, MONTH, month): (budget, "budget"),
    }
    for scope, period, start in ceilings:
        _counter_ensure(scope=scope, period=period, start=start)
    with transaction.atomic():
        for (scope, period, start), (ceiling, name) in ceilings.items():
            held = (
                SpendCounter.objects.filter(scope=scope, period=period, start=start)
                .alias(total=F("spent") + F("reserved"))
                .filter(total__lte=Decimal(ceiling) - amount)
                .update(reserved=F("reserved") + amount)
            )
            if held:
                continue
            if name == "budget":
                raise budget_exhausted(retry_after=seconds_until_next_month())
            retry = seconds_until_tomorrow() if period == DAY else seconds_until_next_month()
            raise cost_ceiling_reached(limit=name, ceiling=ceiling, retry_after=retry)
        return CostReservation.objects.create(
            user=user,
            operation=operation,
            units=units,
            amount=amount,
            image_quality=plan.image_quality,
            image_size=plan.image_size,
            day=today,
            month=month,
            lease_until=lease_until,
        )


def cost_reservation_end(*, reservation_id: str, state: str) -> bool:
    """End the work: release what it held (its real cost is already in `spent`, added call by
    call) and set its final `state`. Only the first call ends it (a row lock and a check of the
    state): a second call, from any process, returns False and changes nothing."""
    with transaction.atomic():
        reservation = (
            CostReservation.objects.select_for_update()
            .filter(pk=reservation_id, ended_at__isnull=True)
            .first()
        )
        if reservation is None:
            return False
        reservation.state = state
        reservation.ended_at = timezone.now()
        reservation.lease_until = None
        reservation.save(update_fields=["state", "ended_at", "lease_until"])
        if reservation.amount:
            for scope, period, start in _counters(
                user_id=reservation.user_id, day=reservation.day, month=reservation.month
            ):
                SpendCounter.objects.filter(scope=scope, period=period, start=start).update(
                    reserved=Greatest(F("reserved") - reservation.amount, Value(Decimal(0)))
                )
    return True


def spend_counters_purge() -> int:
    """Delete daily counters older than a week and monthly ones older than a year (beat, daily):
    ceilings only read today's and this month's; the usage log keeps the history."""
    today = timezone.localdate()
    old = SpendCounter.objects.filter(period=DAY, start__lt=today - timedelta(days=7)) | (
        SpendCounter.objects.filter(
            period=MONTH, start__lt=month_start(today) - timedelta(days=366)
        )
    )
    deleted, _ = old.delete()
    return deleted


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
