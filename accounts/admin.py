from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone

from infinitestories.admin import DeleteThroughServiceMixin, SystemMadeMixin
from usage.models import StoryQuota

from .models import BearerSession, User
from .services import user_account_delete

# What staff see of a signed-in device, wherever sessions are listed.
SESSION_COLUMNS = [
    "user_agent",
    "ip_address",
    "created_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
]


class BearerSessionInline(SystemMadeMixin, admin.TabularInline):
    model = BearerSession
    extra = 0
    can_delete = False
    fields = ["id", *SESSION_COLUMNS]
    readonly_fields = fields
    ordering = ["-last_used_at"]


class StoryQuotaInline(admin.StackedInline):
    """The family's monthly story allowance (staff may raise the limit)."""

    model = StoryQuota
    can_delete = False
    fields = ["stories_used", "stories_limit", "period_start"]
    readonly_fields = ["period_start"]


@admin.register(User)
class UserAdmin(DeleteThroughServiceMixin, DjangoUserAdmin):
    ordering = ["-created_at"]
    list_display = [
        "email",
        "name",
        "subscription_tier",
        "story_quota__stories_used",
        "story_quota__stories_limit",
        "is_staff",
        "is_active",
        "created_at",
        "last_seen_at",
    ]
    list_filter = ["subscription_tier", "preferred_language", "is_staff", "is_active", "created_at"]
    search_fields = ["email", "name", "id", "apple_id"]
    readonly_fields = [
        "id",
        "created_at",
        "updated_at",
        "last_seen_at",
        "last_login",
    ]
    fieldsets = [
        (None, {"fields": ["id", "email", "password", "name", "image", "apple_id"]}),
        ("Preferences", {"fields": ["preferred_language", "theme_preference"]}),
        ("Subscription", {"fields": ["subscription_tier", "subscription_expiry"]}),
        (
            "Access",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["created_at", "updated_at", "last_seen_at", "last_login"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})
    ]
    inlines = [StoryQuotaInline, BearerSessionInline]
    actions = ["revoke_sessions"]

    @admin.action(description="Sign out of every device (revoke all sessions)")
    def revoke_sessions(self, request, queryset):
        count = BearerSession.objects.filter(user__in=queryset, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        self.message_user(request, f"Revoked {count} session(s).", messages.SUCCESS)

    def delete_with_service(self, obj) -> None:
        user_account_delete(user=obj)


class SessionStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(BearerSession)
class BearerSessionAdmin(SystemMadeMixin, admin.ModelAdmin):
    list_display = ["id", "user", *SESSION_COLUMNS]
    list_filter = [SessionStateFilter, "created_at"]
    search_fields = ["id", "user__email", "ip_address", "user_agent"]
    list_select_related = ["user"]
    readonly_fields = ["id", "user", "token_hash", *SESSION_COLUMNS]
    exclude: list[str] = []
    actions = ["revoke"]

    @admin.action(description="Revoke selected sessions")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} session(s).", messages.SUCCESS)
