"""The cost console: every AI call (read-only, CSV export), prices, plans, runtime switches and
budget, spend counters and reservations, budget alerts, quota reset runs. The dashboard itself is
the admin's index page ({% cost_dashboard %}, usage/templatetags)."""

import csv

from django.contrib import admin
from django.db.models import Avg, Count, Sum
from django.db.models.functions import TruncDay
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone

from .models import (
    BudgetAlert,
    CostReservation,
    ModelLifecycle,
    Plan,
    Price,
    QuotaResetRun,
    RuntimeSettings,
    SpendCounter,
    UsageMetric,
)
from .services import runtime_settings_save


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the system writes and staff only read."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _Echo:
    """csv.writer writes into this; each row comes back to be streamed."""

    def write(self, value: str) -> str:
        return value


CSV_COLUMNS = [field.attname for field in UsageMetric._meta.concrete_fields]


@admin.register(UsageMetric)
class UsageMetricAdmin(ReadOnlyAdmin):
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
    search_fields = ["user__email", "user__id", "story_id", "hero_id", "job_id", "error"]
    date_hierarchy = "created_at"
    # Newest first: staff open this list to see what just happened.
    ordering = ["-created_at"]
    list_select_related = ["user"]
    change_list_template = "admin/usage/usagemetric/change_list.html"

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_csv)
        return [path("export.csv", export, name="usage_usagemetric_export"), *super().get_urls()]

    def export_csv(self, request):
        """The calls the list shows (same filters and search), as CSV, streamed row by row."""
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        rows = self.get_changelist_instance(request).get_queryset(request).order_by("created_at")
        writer = csv.writer(_Echo())

        def lines():
            yield writer.writerow([*CSV_COLUMNS, "user_email"])
            for row in rows.values_list(*CSV_COLUMNS, "user__email").iterator(chunk_size=2000):
                yield writer.writerow(["" if value is None else value for value in row])

        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        return StreamingHttpResponse(
            lines(),
            content_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="ai-usage-{stamp}.csv"'},
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        try:
            rows = response.context_data["cl"].queryset
        except (AttributeError, KeyError):
            return response
        response.context_data["export_query"] = request.GET.urlencode()
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
    list_display = [
        "vendor",
        "model",
        "unit",
        "usd_per_million",
        "effective_from",
        "source",
        "source_read_on",
        "note",
    ]
    list_filter = ["vendor", "unit", "model"]
    search_fields = ["model"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Plans apply at once to every family on them (audited: Audit log)."""

    list_display = [
        "code",
        "name",
        "stories_per_month",
        "pictures_per_story",
        "image_quality",
        "image_size",
        "daily_cost_ceiling",
        "monthly_cost_ceiling",
        "illustrations",
        "premium_voices",
        "high_priority",
    ]
    search_fields = ["code", "name"]
    readonly_fields = ["updated_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # A plan families are on cannot go (PROTECT); the free plan is everyone's fallback.
        return obj is None or obj.code != "free"


@admin.register(RuntimeSettings)
class RuntimeSettingsAdmin(admin.ModelAdmin):
    """One row: the list opens it. Saved through the service so every process sees it at once."""

    fieldsets = [
        ("Kill switch and maintenance", {"fields": ["ai_enabled", "maintenance_mode"]}),
        ("Features", {"fields": ["audio_enabled", "illustrations_enabled", "avatars_enabled"]}),
        ("Budget", {"fields": ["monthly_budget", "free_budget_share"]}),
        (None, {"fields": ["updated_at"]}),
    ]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        RuntimeSettings.objects.get_or_create(pk=1)
        return HttpResponseRedirect(reverse("admin:usage_runtimesettings_change", args=[1]))

    def save_model(self, request, obj, form, change) -> None:
        runtime_settings_save(instance=obj)


@admin.register(SpendCounter)
class SpendCounterAdmin(ReadOnlyAdmin):
    list_display = ["scope", "period", "start", "spent", "reserved"]
    list_filter = ["period", "start"]
    search_fields = ["scope"]


@admin.register(CostReservation)
class CostReservationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "operation",
        "state",
        "amount",
        "units",
        "user",
        "created_at",
        "started_at",
        "ended_at",
        "stop_reason",
    ]
    list_filter = ["state", "operation", "created_at"]
    search_fields = ["id", "user__email"]
    list_select_related = ["user"]


@admin.register(BudgetAlert)
class BudgetAlertAdmin(ReadOnlyAdmin):
    list_display = ["month", "kind", "threshold", "spent", "budget", "sent_at"]


@admin.register(QuotaResetRun)
class QuotaResetRunAdmin(ReadOnlyAdmin):
    list_display = ["ran_at", "users_reset"]


@admin.register(ModelLifecycle)
class ModelLifecycleAdmin(admin.ModelAdmin):
    """Each model's announced shutdown, with its source; the daily watch fills the last columns."""

    list_display = [
        "vendor",
        "model",
        "shutdown_on",
        "days_left_today",
        "replacement",
        "source",
        "source_read_on",
        "listed",
        "vanished_at",
        "not_found_at",
    ]
    list_filter = ["vendor", "listed"]
    search_fields = ["model", "replacement"]
    readonly_fields = ["checked_at", "listed", "vanished_at", "check_error", "not_found_at"]

    @admin.display(description="Days left")
    def days_left_today(self, row: ModelLifecycle):
        days = row.days_left(timezone.localdate())
        return "-" if days is None else days
