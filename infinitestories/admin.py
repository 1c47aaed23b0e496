"""Admin pieces shared by the apps, and the admin site itself."""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.db import transaction
from django.urls import reverse
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


def admin_sign_in_account(request, credentials) -> str:
    """The account an admin sign-in names, as django-axes counts it: e-mail is case-insensitive."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(username).strip().lower()


def not_an_admin_sign_in(request, credentials) -> bool:
    """django-axes' whitelist: it counts and locks admin sign-ins only. The API's login has its
    own limits per account and network, and must not lock a family out of the app."""
    return not request.path.startswith(reverse("admin:index"))


class StaffAdminSite(OTPAdminSite):
    """The admin asks staff for a password and, with ADMIN_2FA on (production's default), a TOTP
    code from their registered device: unverified, staff are not staff here (django-otp).
    django-axes counts the failed sign-ins. The setting is read per request."""

    @property
    def login_form(self):
        return OTPAdminAuthenticationForm if settings.ADMIN_2FA else AdminAuthenticationForm

    @property
    def login_template(self):
        return OTPAdminSite.login_template if settings.ADMIN_2FA else None

    def has_permission(self, request) -> bool:
        if settings.ADMIN_2FA:
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)


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
