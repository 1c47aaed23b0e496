from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from infinitestories.ai import (
    catalog,
    chain,
    images,
    scenes,
    speech,
    story_text,
    timings,
    visual_profile,
)
from infinitestories.ai.base import Capability
from infinitestories.faults import INFRASTRUCTURE_ERRORS

from .models import (
    AccountStanding,
    ModelLifecycle,
    Operation,
    Plan,
    Price,
    RuntimeSettings,
    SpendCounter,
    StoryQuota,
    UsageMetric,
    month_over,
    month_start,
    quota_period_current,
)

GLOBAL_SCOPE = "global"
RUNTIME_SETTINGS_CACHE_KEY = "usage:runtime-settings"


# --- Time -----------------------------------------------------------------------------------------


def next_month_start(day: date) -> date:
    return month_start(month_start(day) + timedelta(days=32))


def seconds_until_next_month() -> int:
    """Until 00:00 UTC on the 1st: when monthly quotas and ceilings start again (Retry-After)."""
    now = timezone.now()
    start = next_month_start(now.date())
    turn = datetime(start.year, start.month, start.day, tzinfo=now.tzinfo)
    return max(int((turn - now).total_seconds()), 1)


def seconds_until_tomorrow() -> int:
    now = timezone.now()
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(int((tomorrow - now).total_seconds()), 1)


# --- Plans, standing, switches --------------------------------------------------------------------


def account_standing(*, user) -> AccountStanding:
    """The user's standing (unsaved when staff never touched it: no plan of its own, no block)."""
    return AccountStanding.objects.filter(user=user).first() or AccountStanding(user=user)


def plan_for(*, user, standing: AccountStanding | None = None) -> Plan:
    """The plan staff assigned, else the plan named after the subscription tier, else the free
    plan, else the free plan's defaults (an empty table, as in a flushed test database)."""
    standing = standing or account_standing(user=user)
    if standing.plan_id:
        return standing.plan
    plans = {
        plan.code: plan for plan in Plan.objects.filter(code__in=[user.subscription_tier, "free"])
    }
    return plans.get(user.subscription_tier) or plans.get("free") or Plan(code="free", name="Free")


def runtime_settings() -> RuntimeSettings:
    """Staff's switches as every process sees them: from the shared cache, refreshed from the
    database every RUNTIME_SETTINGS_CACHE_SECONDS and at once after a save. With the cache down
    they are read from the database: the cache saves a query, it decides nothing."""
    try:
        current = cache.get(RUNTIME_SETTINGS_CACHE_KEY)
    except INFRASTRUCTURE_ERRORS:
        return RuntimeSettings.objects.filter(pk=1).first() or RuntimeSettings(pk=1)
    if current is None:
        current = RuntimeSettings.objects.filter(pk=1).first() or RuntimeSettings(pk=1)
        cache.set(RUNTIME_SETTINGS_CACHE_KEY, current, settings.RUNTIME_SETTINGS_CACHE_SECONDS)
    return current


def monthly_budget() -> Decimal:
    """The global AI budget this month: staff's figure in the admin, else MONTHLY_BUDGET_USD."""
    override = runtime_settings().monthly_budget
    return Decimal(override if override is not None else settings.MONTHLY_BUDGET_USD)


def free_budget_share() -> int:
    """The percent of the monthly budget free accounts' AI work may use: staff's figure in the
    admin, else FREE_BUDGET_SHARE_PERCENT."""
    override = runtime_settings().free_budget_share
    return int(override if override is not None else settings.FREE_BUDGET_SHARE_PERCENT)


def budget_for(*, user) -> Decimal:
    """The part of the monthly budget `user`'s AI work may reach: all of it for paid plans,
    free_budget_share() of it for free accounts (their work stops first)."""
    budget = monthly_budget()
    if user.subscription_tier == "free":
        return (budget * free_budget_share() / 100).quantize(Decimal("0.01"))
    return budget


def spend(*, scope: str, period: str, start: date) -> SpendCounter:
    """Spent and reserved in one period (unsaved zeros when nothing was)."""
    return SpendCounter.objects.filter(scope=scope, period=period, start=start).first() or (
        SpendCounter(scope=scope, period=period, start=start)
    )


# --- The monthly story quota ----------------------------------------------------------------------

NEAR_LIMIT_PERCENT = 80


@dataclass(frozen=True)
class QuotaState:
    """This month's stories against the plan's allowance, as the app shows it."""

    stories_used: int
    stories_limit: int
    period_start: date

    @property
    def percentage(self) -> int:
        if not self.stories_limit:
            return 100
        return round(100 * self.stories_used / self.stories_limit)

    @property
    def alert(self) -> str | None:
        """What the app's banner says: "at_limit", "near_limit" (80 % or more) or nothing."""
        if self.stories_used >= self.stories_limit:
            return "at_limit"
        if self.stories_used * 100 >= NEAR_LIMIT_PERCENT * self.stories_limit:
            return "near_limit"
        return None


def story_quota(*, user, plan: Plan | None = None) -> QuotaState:
    """The user's quota as it stands now: a period that is over counts from zero, a user who
    never made a story has used none, and the plan sets the allowance."""
    row = StoryQuota.objects.filter(user=user).first()
    start = quota_period_current()
    used = row.stories_used if row is not None and not month_over(row.period_start) else 0
    plan = plan or plan_for(user=user)
    return QuotaState(stories_used=used, stories_limit=plan.stories_per_month, period_start=start)


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


# --- What admitted work is expected to cost (reserved against ceilings until it ends) -------------

# The expected size of each use case's calls comes from the use case itself (expected_units),
# priced with the price table at the configured models.


def _tokens_cost(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    return usage_cost(
        vendor="openai",
        model=model,
        unit="tokens",
        input_units=input_tokens,
        output_units=output_tokens,
    )


def _picture_cost(*, quality: str, size: str, reference: bool) -> Decimal:
    model = settings.AI_IMAGE_MODEL
    expected = images.expected_units(quality=quality, size=size, reference=reference)
    by_tokens = _tokens_cost(model, expected.input_units, expected.output_units)
    by_image = usage_cost(
        vendor="openai", model=model, unit="images", input_units=0, output_units=1
    )
    return by_tokens or by_image


def cost_estimate(*, operation: str, plan: Plan, units: int = 1, characters: int = 0) -> Decimal:
    """What admitted work should cost, from the price table (0 for the offline provider's models,
    which have no price). `units` counts pictures; `characters` the text to narrate."""
    if operation == Operation.STORY_GENERATION:
        story = story_text.expected_units()
        return _tokens_cost(settings.AI_STORY_MODEL, story.input_units, story.output_units)
    if operation == Operation.AUDIO_SYNTHESIS:
        return _narration_cost(characters=characters or story_text.expected_characters())
    if operation == Operation.IMAGE_GENERATION:
        # Each picture once, and the redraws a job may make after moderation flags one.
        picture = _picture_cost(quality=plan.image_quality, size=plan.image_size, reference=True)
        picking = scenes.expected_units()
        drawings = units + settings.AI_IMAGE_REDRAWS
        return drawings * picture + _tokens_cost(
            settings.AI_SMALL_MODEL, picking.input_units, picking.output_units
        )
    if operation == Operation.AVATAR_GENERATION:
        # An avatar moderation flags is drawn again from gentler words.
        picture = _picture_cost(
            quality=settings.AI_IMAGE_QUALITY, size=settings.AI_IMAGE_SIZE, reference=False
        )
        profile = visual_profile.expected_units()
        return images.avatar_drawings() * picture + _tokens_cost(
            settings.AI_SMALL_MODEL, profile.input_units, profile.output_units
        )
    return Decimal(0)


# Narration speaks 150 words a minute; a bedtime story's words are short (about 4 letters and a
# space), so its text goes by at about 13 characters a second, and 12 keeps the read-along's
# estimate above what it costs (15 fell short of a story of short words). Each piece
# transcribed is billed in whole seconds, rounded up.
CHARACTERS_PER_SECOND = 12


def _narration_cost(*, characters: int) -> Decimal:
    """The most the speech chain may buy: a vendor that fails part-way has paid for the pieces
    it made (all but the one that failed) and hands the whole text to the next one, so the
    reservation covers the whole text by every vendor of the chain, each with the read-along
    transcription it needs (OpenAI's speech). Summed, not the dearest: a failover from OpenAI
    to ElevenLabs buys OpenAI's pieces and then all of ElevenLabs'."""
    costs = [Decimal(0)]
    for name in chain.speech_provider_names():
        narrator = chain.get_provider(name)
        cost = usage_cost(
            vendor=narrator.name,
            model=narrator.model_for(Capability.SPEAK),
            unit="characters",
            # Polly bills the text twice: once for the audio, once for the word timings.
            input_units=characters * narrator.billed_characters_per_character,
            output_units=0,
        )
        if speech.transcription_available() and narrator.speech_timings == timings.TRANSCRIPTION:
            cost += _transcription_cost(characters=characters, limit=narrator.input_limit)
        costs.append(cost)
    return sum(costs)


def _transcription_cost(*, characters: int, limit: int) -> Decimal:
    pieces = max(1, -(-characters // max(1, limit)))
    seconds = -(-characters // CHARACTERS_PER_SECOND) + pieces
    for name in chain.provider_names():
        transcriber = chain.get_provider(name)
        if transcriber.can(Capability.TRANSCRIBE):
            return usage_cost(
                vendor=transcriber.name,
                model=transcriber.model_for(Capability.TRANSCRIBE),
                unit="seconds",
                input_units=seconds,
                output_units=0,
            )
    return Decimal(0)


def _period_start(period: str) -> tuple[datetime | None, datetime | None]:
    now = timezone.localtime()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "current_month":
        return month_start, None
    if period == "last_month":
        previous = (month_start - timezone.timedelta(days=1)).replace(day=1)
        return previous, month_start
    return None, None


def paid_calls(*, job_id: str, operation: str, since: datetime) -> int:
    """The calls of a job's operation that were paid for since `since` (its work's admission)."""
    return UsageMetric.objects.filter(
        job_id=job_id, operation=operation, success=True, created_at__gte=since
    ).count()


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
            "stories_used": quota.stories_used,
            "stories_limit": quota.stories_limit,
            "percentage": quota.percentage,
            "alert": quota.alert,
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


# --- Staff's figures (the admin's user page and the dashboard) ------------------------------------


def user_spend(*, user_id: str) -> dict[str, Decimal]:
    """What one user's AI calls cost this month and in all (from the usage log)."""
    month = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    totals = UsageMetric.objects.filter(user_id=user_id).aggregate(
        all_time=Sum("cost"), this_month=Sum("cost", filter=Q(created_at__gte=month))
    )
    return {name: value or Decimal(0) for name, value in totals.items()}


# The dashboard's window for AI health (error rate, latency) and for its daily charts.
HEALTH_DAYS = 7
CHART_DAYS = 30


def _percentile(values: list[int], fraction: float) -> int | None:
    """Nearest-rank percentile: the smallest value with at least `fraction` of values at or below
    it (p50 of [10, 20, 30, 40] is 20)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * int(fraction * 100) // 100))  # ceil without floats
    return ordered[rank - 1]


def cost_dashboard(*, now: datetime | None = None) -> dict:
    """Every figure of the admin's operations and cost dashboard, from the usage log.

    Spend today and this month against the budget (with what running work holds reserved);
    this month's spend by operation, by model and the top users; the last HEALTH_DAYS days' error
    rate and p50/p95 latency per operation; the last CHART_DAYS days' spend and new stories per
    day (a story is counted on the day it was first written, deleted or not).
    """
    now = now or timezone.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    month_rows = UsageMetric.objects.filter(created_at__gte=month, created_at__lte=now)
    spent_today = UsageMetric.objects.filter(created_at__gte=today, created_at__lte=now).aggregate(
        total=Sum("cost")
    )["total"] or Decimal(0)
    spent_month = month_rows.aggregate(total=Sum("cost"))["total"] or Decimal(0)
    budget = monthly_budget()
    reserved = spend(
        scope=GLOBAL_SCOPE, period=SpendCounter.Period.MONTH, start=month.date()
    ).reserved

    by_operation = list(
        month_rows.values("operation")
        .annotate(calls=Count("id"), cost=Sum("cost"))
        .order_by("-cost", "operation")
    )
    by_model = list(
        month_rows.exclude(model="")
        .values("vendor", "model")
        .annotate(calls=Count("id"), cost=Sum("cost"))
        .order_by("-cost", "model")
    )
    top_users = list(
        month_rows.filter(user__isnull=False)
        .values("user_id", "user__email")
        .annotate(calls=Count("id"), cost=Sum("cost"))
        .order_by("-cost", "user_id")[:10]
    )

    health_rows = UsageMetric.objects.filter(
        created_at__gte=now - timedelta(days=HEALTH_DAYS), created_at__lte=now
    ).values_list("operation", "success", "latency_ms")
    per_operation: dict[str, dict] = {}
    for operation, success, latency in health_rows:
        item = per_operation.setdefault(operation, {"calls": 0, "errors": 0, "latencies": []})
        item["calls"] += 1
        item["errors"] += 0 if success else 1
        item["latencies"].append(latency)
    health = [
        {
            "operation": operation,
            "calls": item["calls"],
            "errors": item["errors"],
            "error_rate": round(100 * item["errors"] / item["calls"], 1),
            "p50_ms": _percentile(item["latencies"], 0.50),
            "p95_ms": _percentile(item["latencies"], 0.95),
        }
        for operation, item in sorted(per_operation.items())
    ]

    first_day = (today - timedelta(days=CHART_DAYS - 1)).date()
    days = [first_day + timedelta(days=n) for n in range(CHART_DAYS)]
    window = UsageMetric.objects.filter(created_at__date__gte=first_day, created_at__lte=now)
    spend_by_day = {
        row["created_at__date"]: row["total"]
        for row in window.values("created_at__date").annotate(total=Sum("cost"))
    }
    first_written = (
        UsageMetric.objects.filter(operation=Operation.STORY_GENERATION, success=True)
        .exclude(story_id="")
        .values("story_id")
        .annotate(first=Min("created_at"))
    )
    stories_by_day: dict[date, int] = {}
    for row in first_written.filter(first__date__gte=first_day, first__lte=now):
        day = timezone.localdate(row["first"])
        stories_by_day[day] = stories_by_day.get(day, 0) + 1
    return {
        "now": now,
        "spent_today": spent_today,
        "spent_month": spent_month,
        "reserved": reserved,
        "budget": budget,
        "budget_percent": round(float(100 * spent_month / budget), 1) if budget else None,
        "by_operation": by_operation,
        "by_model": by_model,
        "top_users": top_users,
        "health": health,
        "health_days": HEALTH_DAYS,
        "daily": [
            {
                "day": day,
                "spend": spend_by_day.get(day) or Decimal(0),
                "stories": stories_by_day.get(day, 0),
            }
            for day in days
        ],
    }


def model_watch_rows(*, today=None) -> list[dict]:
    """The dashboard's "Models in use": each configured model with its announced shutdown,
    days left, and what the daily watch last saw (infinitestories.ai.catalog)."""
    today = today or timezone.localdate()
    known = {(row.vendor, row.model): row for row in ModelLifecycle.objects.all()}
    rows = []
    for configured in catalog.configured_models():
        row = known.get(configured.key)
        rows.append(
            {
                "vendor": configured.vendor,
                "model": configured.model,
                "purpose": configured.purpose,
                "setting": configured.setting,
                "shutdown_on": row.shutdown_on if row else None,
                "days_left": row.days_left(today) if row else None,
                "replacement": row.replacement if row else "",
                "listed": row.listed if row else None,
                "vanished_at": row.vanished_at if row else None,
                "not_found_at": row.not_found_at if row else None,
                "row_id": row.pk if row else None,
            }
        )
    return sorted(rows, key=lambda r: (r["days_left"] is None, r["days_left"] or 0))
