from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from infinitestories.ai.base import Operation
from infinitestories.ids import PublicIdField


class Price(models.Model):
    """A vendor's list price for one unit of one model, from a date on. Staff edit it in the admin.

    The price in force at a moment is the row with the latest `effective_from` not after it, so a
    price change is a new row and old usage keeps the cost it had.
    """

    class Unit(models.TextChoices):
        INPUT_TOKEN = "input_token"  # noqa: S105 - a unit name
        OUTPUT_TOKEN = "output_token"  # noqa: S105 - a unit name
        CHARACTER = "character"
        IMAGE = "image"
        SECOND = "second"  # of audio transcribed

    vendor = models.CharField(max_length=30, default="openai")
    model = models.CharField(max_length=100)
    unit = models.CharField(max_length=20, choices=Unit.choices)
    # USD per one million units: how vendors publish prices, and exact in a decimal.
    usd_per_million = models.DecimalField(max_digits=14, decimal_places=4)
    effective_from = models.DateField(default=timezone.localdate)
    note = models.CharField(max_length=200, blank=True)
    # Where the figure was read (a vendor's price page, a stored copy, a report) and when: a
    # price without a source is a guess that ceilings, budgets and plans would rest on.
    source = models.CharField(max_length=300, blank=True)
    source_read_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "model", "unit", "effective_from"], name="price_unique_per_day"
            )
        ]
        ordering = ["vendor", "model", "unit", "-effective_from"]

    def __str__(self) -> str:
        return f"{self.vendor}/{self.model} {self.unit}: ${self.usd_per_million}/M from {self.effective_from}"

    @property
    def per_unit(self) -> Decimal:
        return self.usd_per_million / Decimal(1_000_000)


class UsageMetric(models.Model):
    """One AI call, successful or not: what it cost, how long it took, what it was for."""

    id = PublicIdField(prefix="use")
    # SET_NULL: the cost record outlives the account (anonymised), so totals never shrink.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="usage_metrics",
    )
    operation = models.CharField(max_length=30, choices=Operation.choices)
    vendor = models.CharField(max_length=30)
    model = models.CharField(max_length=100, blank=True)
    # "tokens", "characters", "images": what input/output units count.
    unit = models.CharField(max_length=20, blank=True)
    input_units = models.PositiveIntegerField(default=0)
    output_units = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    # Where the units came from: the vendor's answer (tokens) or our own count.
    usage_reported = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(default=0)
    success = models.BooleanField(default=True)
    error = models.CharField(max_length=500, blank=True)
    prompt_version = models.CharField(max_length=50, blank=True)
    # Plain ids, not foreign keys: the cost record outlives a deleted story or hero.
    story_id = models.CharField(max_length=40, blank=True, db_index=True)
    hero_id = models.CharField(max_length=40, blank=True)
    job_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["operation", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.model} ${self.cost}"


def month_start(day: date | None = None) -> date:
    """The first day of `day`'s month (today's, UTC, by default). Every monthly count starts
    there (story quotas, spend ceilings, the budget); the rule that a month is over lives here
    and in month_over, nowhere else."""
    return (day or timezone.now().date()).replace(day=1)


def month_over(start: date) -> bool:
    """Whether the month that started on `start` is over."""
    return start < month_start()


def quota_period_current() -> date:
    """The first day of the current month (UTC): monthly story quotas count from it."""
    return month_start()


class Plan(models.Model):
    """What a family may do and spend: staff edit plans in the admin and a change applies to the
    next request, without a deploy.

    A user's plan is the one staff assigned (AccountStanding.plan) or else the plan whose `code` is
    their subscription tier (free, premium), or else the free plan's defaults (these field
    defaults). Image quality and size are per plan because pictures are most of a story's cost.
    """

    class ImageQuality(models.TextChoices):
        LOW = "low"
        MEDIUM = "medium"
        HIGH = "high"

    class ImageSize(models.TextChoices):
        SQUARE = "1024x1024"
        PORTRAIT = "1024x1536"
        LANDSCAPE = "1536x1024"

    code = models.SlugField(
        max_length=30,
        unique=True,
        help_text="Users whose subscription tier has this name get this plan unless staff "
        "assign another.",
    )
    name = models.CharField(max_length=100)
    stories_per_month = models.PositiveIntegerField(default=10)
    pictures_per_story = models.PositiveSmallIntegerField(default=3)
    image_quality = models.CharField(
        max_length=10, choices=ImageQuality.choices, default=ImageQuality.LOW
    )
    image_size = models.CharField(
        max_length=10, choices=ImageSize.choices, default=ImageSize.SQUARE
    )
    daily_cost_ceiling = models.DecimalField(
        "daily AI cost ceiling (USD)", max_digits=8, decimal_places=2, default=Decimal("0.50")
    )
    monthly_cost_ceiling = models.DecimalField(
        "monthly AI cost ceiling (USD)", max_digits=8, decimal_places=2, default=Decimal("1.50")
    )
    illustrations = models.BooleanField("illustrations allowed", default=True)
    premium_voices = models.BooleanField("premium voices allowed", default=False)
    high_priority = models.BooleanField("high priority allowed", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["monthly_cost_ceiling", "code"]

    def __str__(self) -> str:
        return self.name or self.code


class AccountStanding(models.Model):
    """A family's standing with us: the plan staff assigned, a block, a flag for review.

    A user without a row has the plan of their tier, is not blocked and not flagged.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="standing",
    )
    plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="Empty: the plan named after the user's subscription tier.",
    )
    blocked = models.BooleanField(default=False, help_text="Refuse this user's AI requests.")
    block_reason = models.CharField(max_length=300, blank=True)
    blocked_at = models.DateTimeField(null=True, blank=True)
    flagged_for_review = models.BooleanField(default=False)
    flag_reason = models.CharField(max_length=300, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"standing of {self.user_id}"


class RuntimeSettings(models.Model):
    """The switches staff flip in the admin, read by every process within seconds (cached in the
    shared cache, dropped on save). One row (pk 1)."""

    ai_enabled = models.BooleanField(
        "AI on", default=True, help_text="Off: every new AI request answers 503 AI_DISABLED."
    )
    maintenance_mode = models.BooleanField(
        default=False, help_text="On: writes under /api/ answer 503 MAINTENANCE; reads work."
    )
    audio_enabled = models.BooleanField("narration on", default=True)
    illustrations_enabled = models.BooleanField("illustrations on", default=True)
    avatars_enabled = models.BooleanField("avatars on", default=True)
    monthly_budget = models.DecimalField(
        "monthly AI budget (USD)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Empty: MONTHLY_BUDGET_USD from the environment.",
    )
    free_budget_share = models.PositiveSmallIntegerField(
        "share of the budget for free accounts (%)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Free accounts' AI work stops once the month's spend reaches this share of the "
        "budget; paid plans go on to 100 %. Empty: FREE_BUDGET_SHARE_PERCENT from the "
        "environment (80).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "runtime switches and budget"
        verbose_name_plural = "runtime switches and budget"

    def __str__(self) -> str:
        return "Runtime switches and budget"


class SpendCounter(models.Model):
    """Money spent and reserved in one period, for one user or for everyone ("global").

    Reservations are conditional UPDATEs on these rows, so parallel requests cannot pass a
    ceiling together; the usage sink adds each call's real cost to `spent`.
    """

    class Period(models.TextChoices):
        DAY = "day"
        MONTH = "month"

    scope = models.CharField(max_length=60)  # "global" or a user id
    period = models.CharField(max_length=5, choices=Period.choices)
    start = models.DateField()
    spent = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal(0))
    reserved = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal(0))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "period", "start"], name="spend_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.period} {self.start}: ${self.spent} + ${self.reserved}"


class CostReservation(models.Model):
    """One piece of paid AI work (a story, a narration, a story's pictures, an avatar): what was
    admitted, the cost it holds against the ceilings and the budget until it ends, and where it
    is in its life: admitted -> running -> settled | released. usage.services.work is the only
    code that writes it (the "AI work" of the admin)."""

    class State(models.TextChoices):
        ADMITTED = "admitted"  # counted and reserved, not started
        RUNNING = "running"  # started (a request's or a job's AI calls)
        SETTLED = "settled"  # ended after it ran: its real cost is in the usage log
        RELEASED = "released"  # ended without ever running: its units were given back too

    ENDED = (State.SETTLED, State.RELEASED)

    id = PublicIdField(prefix="rsv")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    operation = models.CharField(max_length=30, choices=Operation.choices)
    # Pictures for image work, else 1: what the operation's rate limit counted.
    units = models.PositiveIntegerField(default=1)
    amount = models.DecimalField("estimated cost (USD)", max_digits=12, decimal_places=6)
    # The plan's choices in force when it was admitted (pictures are drawn with them).
    image_quality = models.CharField(max_length=10, blank=True)
    image_size = models.CharField(max_length=10, blank=True)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.ADMITTED, db_index=True
    )
    # The periods whose counters hold it (a reservation made before midnight is released there).
    day = models.DateField()
    month = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Held by a web request until then; a request that died is released by the sweeper after it.
    # Empty once a job holds it (the job's end, its deletion or the job sweeper end it).
    lease_until = models.DateTimeField(null=True, blank=True)
    # Asked to stop from outside (replaced, consent withdrawn, deleted) while it ran: its worker
    # stops before its next paid call and ends it.
    stop_reason = models.CharField(max_length=200, blank=True)
    stop_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "AI work"
        verbose_name_plural = "AI work"

    def __str__(self) -> str:
        return f"{self.operation} ${self.amount} ({self.state})"

    @property
    def ended(self) -> bool:
        return self.state in self.ENDED


class BudgetAlert(models.Model):
    """One e-mail to staff per threshold of the global monthly budget per month, and one when
    free accounts' share of it is used up (kind "free_share")."""

    class Kind(models.TextChoices):
        BUDGET = "budget"
        FREE_SHARE = "free_share"

    month = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BUDGET)
    threshold = models.PositiveSmallIntegerField()  # percent
    spent = models.DecimalField(max_digits=14, decimal_places=6)
    budget = models.DecimalField(max_digits=10, decimal_places=2)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "kind", "threshold"], name="budget_alert_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.threshold}% of ${self.budget} in {self.month:%Y-%m}"


class QuotaResetRun(models.Model):
    """One run of the monthly quota reset (beat, daily): when, and how many families it reset."""

    ran_at = models.DateTimeField(default=timezone.now)
    users_reset = models.PositiveIntegerField()

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M}: {self.users_reset} reset"


class StoryQuota(models.Model):
    """How many stories a family wrote this month (its plan says how many it may).

    A user without a row has written none; the row is made by the first charge. A period that is
    over counts from zero, whether or not the daily reset has run yet (usage.selectors.story_quota).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="story_quota",
    )
    stories_used = models.PositiveIntegerField(default=0)
    # The month stories_used counts; an older one means the count is due for a reset.
    period_start = models.DateField(default=quota_period_current)
    # The month the 80 % and 100 % e-mails were last sent for (each once a month).
    warned_near_limit_for = models.DateField(null=True, blank=True)
    warned_at_limit_for = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.stories_used} stories since {self.period_start}"


class ModelLifecycle(models.Model):
    """What we know of one AI model's end: the shutdown a vendor announced (seeded from its
    deprecation pages with the source, edited by staff), and what the daily watch learned from
    the vendor's model list (usage.services.model_watch). Staff are e-mailed as the day nears."""

    vendor = models.CharField(max_length=30)
    model = models.CharField(max_length=100)
    shutdown_on = models.DateField(null=True, blank=True, help_text="Announced last day + 1.")
    replacement = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=300, blank=True)
    source_read_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    # The daily watch: when it last read the vendor's list, whether the model was in it (None:
    # the vendor publishes no list, or it could not be read), when it first went missing.
    checked_at = models.DateTimeField(null=True, blank=True)
    listed = models.BooleanField(null=True, blank=True)
    vanished_at = models.DateTimeField(null=True, blank=True)
    check_error = models.CharField(max_length=300, blank=True)
    # The last time a call answered "model not found" (staff told at once, once a day at most).
    not_found_at = models.DateTimeField(null=True, blank=True)
    # Alerts already sent, as "<shutdown date>:<days>" (a new date starts the count again).
    alerts_sent = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vendor", "model"], name="model_lifecycle_unique")
        ]
        ordering = ["shutdown_on", "vendor", "model"]

    def __str__(self) -> str:
        return f"{self.vendor}/{self.model}"

    def days_left(self, today) -> int | None:
        return None if self.shutdown_on is None else (self.shutdown_on - today).days
