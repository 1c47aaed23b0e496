"""The stories domain's ops console: stories, pictures, custom events, generation jobs."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone

from infinitestories.admin import DeleteThroughServiceMixin, SystemMadeMixin

from .models import (
    CustomStoryEvent,
    GenerationJob,
    ImportedItem,
    NarrationTimings,
    Story,
    StoryIllustration,
    StoryShare,
)
from .services import custom_events, illustrations, jobs, shares, stories


def share_state(share: StoryShare) -> str:
    if share.revoked_at is not None:
        return "revoked"
    return "expired" if share.expires_at <= timezone.now() else "live"


class StoryShareInline(admin.TabularInline):
    """The story's private links with how often each was opened, read only: staff revoke a link
    from the share list's action (Stories → Story shares), not from here or from the link's own
    page. The secret is never shown: only its hash is kept."""

    model = StoryShare
    extra = 0
    fields = ["id", "state", "hide_name", "view_count", "last_viewed_at", "expires_at"]
    readonly_fields = fields
    ordering = ["-created_at"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="state")
    def state(self, share: StoryShare) -> str:
        return share_state(share)


class StoryIllustrationInline(SystemMadeMixin, admin.TabularInline):
    model = StoryIllustration
    extra = 0
    fields = [
        "display_order",
        "timestamp",
        "duration",
        "generation_status",
        "image_key",
        "retry_count",
        "error_message",
    ]
    readonly_fields = ["image_key", "generation_status", "retry_count", "error_message"]
    ordering = ["display_order"]
    show_change_link = True
    # Delete from the illustration's own page, which removes its file and closes the order.
    can_delete = False


class NarrationTimingsInline(admin.TabularInline):
    """Where the read-along times of the narration came from, read-only (the pipeline writes
    them with each narration)."""

    model = NarrationTimings
    extra = 0
    fields = ["audio_key", "source", "word_count", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="words")
    def word_count(self, timings: NarrationTimings) -> int:
        return len(timings.words)


@admin.register(Story)
class StoryAdmin(SystemMadeMixin, DeleteThroughServiceMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "user",
        "hero",
        "language",
        "event_type",
        "audio_generated",
        "illustration_count",
        "listen_count",
        "is_favorite",
        "created_at",
    ]
    list_filter = ["language", "event_type", "audio_generated", "is_favorite", "created_at"]
    search_fields = ["id", "title", "user__email", "hero__name"]
    raw_id_fields = ["user", "hero", "custom_event"]
    date_hierarchy = "created_at"
    # The server owns narration and listening stats; staff read them, the pipeline writes them.
    readonly_fields = [
        "id",
        "prompt_version",
        "audio_key",
        "audio_generated",
        "audio_duration",
        "audio_generated_at",
        "voice_type",
        "listen_count",
        "last_listened_at",
        "created_at",
        "updated_at",
    ]
    inlines = [NarrationTimingsInline, StoryIllustrationInline, StoryShareInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "hero")
            .annotate(_illustrations=Count("illustrations"))
        )

    @admin.display(description="illustrations", ordering="_illustrations")
    def illustration_count(self, story: Story) -> int:
        return story._illustrations

    def delete_with_service(self, obj) -> None:
        stories.story_delete(story=obj)


@admin.register(StoryIllustration)
class StoryIllustrationAdmin(SystemMadeMixin, DeleteThroughServiceMixin, admin.ModelAdmin):
    list_display = ["id", "story", "display_order", "timestamp", "generation_status", "created_at"]
    list_filter = ["generation_status", "created_at"]
    search_fields = ["id", "story__id", "story__title", "story__user__email"]
    raw_id_fields = ["story"]
    list_select_related = ["story"]
    readonly_fields = [
        "id",
        "image_key",
        "prompt",
        "generation_id",
        "retry_count",
        "created_at",
        "updated_at",
    ]

    def delete_with_service(self, obj) -> None:
        illustrations.illustration_delete(illustration=obj)


@admin.register(CustomStoryEvent)
class CustomStoryEventAdmin(DeleteThroughServiceMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "user",
        "category",
        "tone",
        "usage_count",
        "last_used_at",
        "is_favorite",
        "created_at",
    ]
    list_filter = ["category", "tone", "is_favorite", "ai_enhanced"]
    search_fields = ["id", "title", "user__email", "prompt_seed"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]
    readonly_fields = ["id", "usage_count", "last_used_at", "created_at", "updated_at"]

    def delete_with_service(self, obj) -> None:
        custom_events.custom_event_delete(event=obj)


@admin.register(GenerationJob)
class GenerationJobAdmin(SystemMadeMixin, admin.ModelAdmin):
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
    search_fields = ["id", "user__email", "story__id"]
    raw_id_fields = ["user", "story"]
    readonly_fields = [
        "ai_work",
        "voice",
        "output_key",
        "output_duration",
        "text_hash",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
    ]
    date_hierarchy = "created_at"
    actions = ["requeue"]

    @admin.action(description="Re-queue the selected failed jobs")
    def requeue(self, request, queryset):
        count = 0
        for job in queryset:
            refused = jobs.job_requeue(job=job)
            if refused:
                messages.error(request, f"Job {job.pk} not re-queued: {refused}")
            else:
                count += 1
        messages.info(request, f"{count} job(s) re-queued.")


@admin.register(StoryShare)
class StoryShareAdmin(SystemMadeMixin, admin.ModelAdmin):
    """Every private link: its story, state and views; staff revoke links with this list's
    action (a family asked, or a link was posted where it should not be), the only place they
    can. The secret's hash is not shown."""

    list_display = ["id", "story", "state", "hide_name", "view_count", "expires_at", "created_at"]
    list_filter = ["hide_name", "created_at", "expires_at", "revoked_at"]
    search_fields = ["id", "story__id", "story__title", "story__user__email"]
    list_select_related = ["story"]
    fields = [
        "id",
        "story",
        "hide_name",
        "view_count",
        "last_viewed_at",
        "expires_at",
        "revoked_at",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="state")
    def state(self, share: StoryShare) -> str:
        return share_state(share)

    @admin.action(description="Revoke the selected links")
    def revoke(self, request, queryset):
        count = 0
        for share in queryset.filter(revoked_at=None):
            shares.share_revoke(share=share)
            count += 1
        messages.info(request, f"{count} link(s) revoked.")

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoke instead: the row keeps the views the admin reports.
        return False


@admin.register(ImportedItem)
class ImportedItemAdmin(SystemMadeMixin, admin.ModelAdmin):
    """What each family brought in from the app (POST /api/import), by the app's own id. Read
    only; deleting a row lets the app import that item once more (a second copy)."""

    list_display = ["client_id", "kind", "object_id", "user", "created_at"]
    list_filter = ["kind"]
    search_fields = ["client_id", "object_id", "user__email"]
    readonly_fields = ["user", "kind", "client_id", "object_id", "created_at"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False
