"""The AI cost dashboard: every call with its cost, per-operation and per-day totals, prices."""

from django.contrib import admin
from django.db.models import Avg, Count, Sum
from django.db.models.functions import TruncDay

from infinitestories.admin import SystemMadeMixin

from .models import Price, UsageMetric


@admin.register(UsageMetric)
class UsageMetricAdmin(SystemMadeMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "operation",
        "vendor",
        "model",
        "input_units",
        "output_units",
        "unit",
        "cost",
        "latency_ms",
        "success",
        "user",
        "story_id",
        "prompt_version",
    ]
    list_filter = ["operation", "success", "vendor", "model", "prompt_version", "created_at"]
    search_fields = ["user__email", "story_id", "hero_id", "job_id", "error"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
    change_list_template = "admin/usage/usagemetric/change_list.html"

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        try:
            rows = response.context_data["cl"].queryset
        except (AttributeError, KeyError):
            return response
        response.context_data["totals"] = rows.aggregate(
            calls=Count("id"), cost=Sum("cost"), latency=Avg("latency_ms")
        )
        response.context_data["per_operation"] = (
            rows.values("operation")
            .annotate(calls=Count("id"), cost=Sum("cost"), latency=Avg("latency_ms"))
            .order_by("-cost")
        )
        response.context_data["per_day"] = (
            rows.annotate(day=TruncDay("created_at"))
            .values("day")
            .annotate(calls=Count("id"), cost=Sum("cost"))
            .order_by("-day")[:31]
        )
        return response


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["vendor", "model", "unit", "usd_per_million", "effective_from", "note"]
    list_filter = ["vendor", "unit", "model"]
    search_fields = ["model"]
