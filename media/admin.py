from django.contrib import admin
from django.utils.html import format_html

from infinitestories.admin import DeleteThroughServiceMixin, SystemMadeMixin

from .models import FileUpload, PendingFile, ReconciliationRun
from .selectors import media_url
from .services import upload_delete


@admin.register(FileUpload)
class FileUploadAdmin(SystemMadeMixin, DeleteThroughServiceMixin, admin.ModelAdmin):
    list_display = ["storage_key", "category", "mime_type", "file_size", "user", "created_at"]
    list_filter = ["category", "mime_type", "is_public", "created_at"]
    search_fields = ["id", "storage_key", "file_name", "user__email", "entity_id"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    # A record of what a client uploaded: staff read it, nobody edits it.
    readonly_fields = [
        "id",
        "user",
        "file_name",
        "file_size",
        "mime_type",
        "storage_key",
        "file_link",
        "category",
        "entity_id",
        "is_public",
        "expires_at",
        "created_at",
    ]

    @admin.display(description="file")
    def file_link(self, upload: FileUpload) -> str:
        url = media_url(key=upload.storage_key)
        return format_html('<a href="{}">open</a>', url) if url else "—"

    def delete_with_service(self, obj) -> None:
        upload_delete(upload=obj)


@admin.register(PendingFile)
class PendingFileAdmin(SystemMadeMixin, admin.ModelAdmin):
    """Files recorded before their upload: settled hourly (media.reconcile). Read only."""

    list_display = ["key", "created_at"]
    search_fields = ["key"]
    date_hierarchy = "created_at"
    readonly_fields = ["key", "created_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(SystemMadeMixin, admin.ModelAdmin):
    list_display = [
        "started_at", "finished_at", "listed", "referenced", "young", "deleted",
        "pending_settled", "pending_deleted",
    ]  # fmt: skip
    readonly_fields = list_display

    def has_change_permission(self, request, obj=None) -> bool:
        return False
