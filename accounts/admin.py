from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone

from infinitestories.admin import DeleteThroughServiceMixin
from usage.models import StoryQuota

from .models import BearerSession, ParentalConsent, User
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


class BearerSessionInline(admin.TabularInline):
    model = BearerSession
    extra = 0
    can_delete = False
    fields = ["id", *SESSION_COLUMNS]
    readonly_fields = fields
    ordering = ["-last_used_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


# What staff see of a parent's consent, wherever consents are listed.
CONSENT_COLUMNS = [
    "policy_version",
    "ai_processing",
    "third_party_disclosure",
    "vendors",
    "consented_at",
    "app_version",
    "ip_address",
    "withdrawn_at",
]


class ParentalConsentInline(admin.TabularInline):
    """The consent history on the user's page: read-only proof (only the parent gives or
    withdraws consent). Not an admin page of its own, so that deleting a user (which deletes
    their history) needs no permission on consents, and no consent is ever deleted alone."""

    model = ParentalConsent
    extra = 0
    can_delete = False
    fields = CONSENT_COLUMNS
    readonly_fields = fields
    ordering = ["-consented_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ConsentStateFilter(admin.SimpleListFilter):
    title = "parental consent"
    parameter_name = "consent"

    def lookups(self, request, model_admin):
        return [
            ("current", "To the current policy"),
            ("outdated", "To an older policy"),
            ("none", "None"),
        ]

    def queryset(self, request, queryset):
        current = settings.PARENTAL_CONSENT_POLICY_VERSION
        if self.value() == "current":
            return queryset.filter(parental_consent_version=current)
        if self.value() == "outdated":
            return queryset.exclude(parental_consent_version="").exclude(
                parental_consent_version=current
            )
        if self.value() == "none":
            return queryset.filter(parental_consent_version="")
        return queryset


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
        "parental_consent_version",
        "is_staff",
        "is_active",
        "created_at",
        "last_seen_at",
    ]
    list_filter = [
        ConsentStateFilter,
        "subscription_tier",
        "preferred_language",
        "is_staff",
        "is_active",
        "created_at",
    ]
    search_fields = ["email", "name", "id", "apple_id"]
    readonly_fields = [
        "id",
        "created_at",
        "updated_at",
        "last_seen_at",
        "last_login",
        "parental_consent_version",
        "parental_consent_at",
    ]
    fieldsets = [
        (None, {"fields": ["id", "email", "password", "name", "image", "apple_id"]}),
        ("Preferences", {"fields": ["preferred_language", "theme_preference"]}),
        ("Subscription", {"fields": ["subscription_tier", "subscription_expiry"]}),
        ("Parental consent", {"fields": ["parental_consent_version", "parental_consent_at"]}),
        (
            "Access",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["created_at", "updated_at", "last_seen_at", "last_login"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})
    ]
    inlines = [ParentalConsentInline, StoryQuotaInline, BearerSessionInline]
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
class BearerSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", *SESSION_COLUMNS]
    list_filter = [SessionStateFilter, "created_at"]
    search_fields = ["id", "user__email", "ip_address", "user_agent"]
    list_select_related = ["user"]
    readonly_fields = ["id", "user", "token_hash", *SESSION_COLUMNS]
    exclude: list[str] = []
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke selected sessions")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} session(s).", messages.SUCCESS)
