"""Admin for generation jobs (registered from usage/admin.py; stories/admin.py is the library's)."""

from django.contrib import admin, messages

from . import jobs
from .models import GenerationJob


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "priority",
        "progress",
        "attempts",
        "user",
        "story",
        "heartbeat_at",
        "created_at",
        "error_message",
    ]
    list_filter = ["status", "kind", "priority", "created_at"]
    search_fields = ["id", "user__email", "story__id", "hero__id"]
    raw_id_fields = ["user", "story", "hero"]
    readonly_fields = ["created_at", "updated_at", "started_at", "finished_at", "heartbeat_at"]
    date_hierarchy = "created_at"
    actions = ["requeue"]

    @admin.action(description="Re-queue the selected failed jobs")
    def requeue(self, request, queryset):
        count = sum(jobs.job_requeue(job=job) for job in queryset)
        messages.info(request, f"{count} job(s) re-queued.")
