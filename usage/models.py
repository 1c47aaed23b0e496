from datetime import date
from decimal import Decimal

from django.conf import settings
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
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
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


def quota_period_current() -> date:
    """The first day of the current month (UTC): monthly story quotas count from it."""
    return timezone.now().date().replace(day=1)


class StoryQuota(models.Model):
    """A family's monthly story allowance and how much of this month's is used.

    A user without a row has the default allowance and has used none of it; the row is made by
    the first charge. A period that is over counts from zero, whether or not the daily reset has
    run yet (usage.selectors.story_quota).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="story_quota",
    )
    stories_used = models.PositiveIntegerField(default=0)
    stories_limit = models.PositiveIntegerField(default=10)
    # The month stories_used counts; an older one means the count is due for a reset.
    period_start = models.DateField(default=quota_period_current)

    def __str__(self) -> str:
        return f"{self.stories_used}/{self.stories_limit} stories since {self.period_start}"
