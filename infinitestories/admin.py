"""Admin pieces shared by the apps."""

from django.db import transaction


class SystemMadeMixin:
    """Rows only the service creates (jobs, usage, sessions, uploads, pictures, profiles): the
    admin shows and manages them but offers no "Add", which could only make a half-made row."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DeleteThroughServiceMixin:
    """Deleting in the admin goes through the domain's service, as the API does: files are
    removed after commit, orders close up, sessions are revoked. Nothing is left in storage."""

    def delete_with_service(self, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj) -> None:
        self.delete_with_service(obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_with_service(obj)
