from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from heroes.models import Hero
from infinitestories.admin import DeleteThroughServiceMixin, SystemMadeMixin
from notifications.admin import devices_table
from stories.models import Story
from usage.models import AccountStanding, StoryQuota
from usage.selectors import plan_for, story_quota, user_spend
from usage.services import standing_save

from .models import (
    AppleCredential,
    AppleTokenRevocation,
    BearerSession,
    BlockedNetwork,
    ParentalConsent,
    User,
)
from .services import (
    SIGNUP_REVIEW_ACCOUNTS,
    SIGNUP_REVIEW_WINDOW,
    network_block,
    sessions_revoke_all,
    user_account_delete,
    user_tier_audit,
)

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


# What staff see of a parent's consent, wherever consents are listed.
CONSENT_COLUMNS = [
    "policy_version",
    "ai_processing",
    "third_party_disclosure",
    "vendor_names",
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

    @admin.display(description="vendors")
    def vendor_names(self, consent: ParentalConsent) -> str:
        """The vendors as staff read them, not the JSON list they are stored as."""
        return ", ".join(consent.vendors) or "-"


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
    """This month's stories (the allowance is the plan's)."""

    model = StoryQuota
    can_delete = False
    fields = ["stories_used", "period_start", "warned_near_limit_for", "warned_at_limit_for"]
    readonly_fields = ["period_start", "warned_near_limit_for", "warned_at_limit_for"]


class AccountStandingInline(admin.StackedInline):
    """The family's plan (empty: its tier's), a block with its reason, the review flag. Every
    change is audited (Audit log)."""

    model = AccountStanding
    can_delete = False
    verbose_name_plural = "plan, block and review"
    fields = [
        "plan",
        "blocked",
        "block_reason",
        "blocked_at",
        "flagged_for_review",
        "flag_reason",
        "flagged_at",
    ]
    readonly_fields = ["blocked_at", "flagged_at"]


class PasswordChangeRevokesSessionsForm(AdminPasswordChangeForm):
    """A password set by staff signs the account out of every device, as a reset does: whoever
    held a session (perhaps the reason for the change) holds it no more."""

    def save(self, commit: bool = True):
        user = super().save(commit=commit)
        sessions_revoke_all(user=user)
        return user


class CrowdedNetworkFilter(admin.SimpleListFilter):
    """Accounts whose sign-up network made many accounts lately: the review queue for stacked
    free accounts (accounts.services.signup_network_review flags them as they sign up)."""

    title = "sign-up network"
    parameter_name = "signup_network_crowded"

    def lookups(self, request, model_admin):
        return [
            (
                "yes",
                f"{SIGNUP_REVIEW_ACCOUNTS}+ accounts in {SIGNUP_REVIEW_WINDOW.days} days",
            )
        ]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        since = timezone.now() - SIGNUP_REVIEW_WINDOW
        crowded = (
            User.objects.filter(created_at__gte=since)
            .exclude(signup_network="")
            .values("signup_network")
            .annotate(accounts=Count("pk"))
            .filter(accounts__gte=SIGNUP_REVIEW_ACCOUNTS)
            .values("signup_network")
        )
        return queryset.filter(signup_network__in=crowded)


@admin.register(User)
class UserAdmin(DeleteThroughServiceMixin, DjangoUserAdmin):
    change_password_form = PasswordChangeRevokesSessionsForm
    ordering = ["-created_at"]
    list_display = [
        "email",
        "name",
        "subscription_tier",
        "story_quota__stories_used",
        "standing__blocked",
        "standing__flagged_for_review",
        "parental_consent_version",
        "is_staff",
        "is_active",
        "created_at",
        "last_seen_at",
    ]
    list_filter = [
        ("standing__flagged_for_review", admin.BooleanFieldListFilter),
        ("standing__blocked", admin.BooleanFieldListFilter),
        CrowdedNetworkFilter,
        ConsentStateFilter,
        "subscription_tier",
        "standing__plan",
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
        "plan_in_force",
        "stories_this_month",
        "spend_this_month",
        "spend_all_time",
        "heroes_link",
        "stories_link",
        "devices",
        "parental_consent_version",
        "parental_consent_at",
        "signup_network",
        "apple_id",
        "apple_sign_in",
    ]
    fieldsets = [
        (None, {"fields": ["id", "email", "password", "name", "image"]}),
        ("Sign in with Apple", {"fields": ["apple_id", "apple_sign_in"]}),
        ("Preferences", {"fields": ["preferred_language", "theme_preference"]}),
        (
            "Subscription and usage",
            {
                "fields": [
                    "subscription_tier",
                    "subscription_expiry",
                    "plan_in_force",
                    "stories_this_month",
                    "spend_this_month",
                    "spend_all_time",
                ]
            },
        ),
        ("Library", {"fields": ["heroes_link", "stories_link"]}),
        ("Push notifications", {"fields": ["devices"]}),
        ("Parental consent", {"fields": ["parental_consent_version", "parental_consent_at"]}),
        (
            "Access",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["created_at", "updated_at", "last_seen_at", "last_login"]}),
        ("Sign-up", {"fields": ["signup_network"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})
    ]
    inlines = [ParentalConsentInline, AccountStandingInline, StoryQuotaInline, BearerSessionInline]
    actions = ["revoke_sessions", "block_signup_networks"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("standing", "story_quota")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "subscription_tier" in form.changed_data:
            user_tier_audit(user=obj, before=form.initial["subscription_tier"], actor=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not AccountStanding:
            return super().save_formset(request, form, formset, change)
        for standing in formset.save(commit=False):
            standing_save(instance=standing)
        return None

    @admin.display(description="Apple")
    def apple_sign_in(self, user: User) -> str:
        """Whether Apple is linked and mail reaches its address; never the token itself."""
        if not user.pk or not user.apple_id:
            return "not linked"
        credential = AppleCredential.objects.filter(user=user).first()
        if credential is None:
            return "linked"
        parts = ["linked", "private relay e-mail" if credential.is_private_email else "e-mail"]
        parts.append("mail reaches it" if credential.email_reachable else "mail switched off")
        parts.append(
            "revocable at deletion" if credential.refresh_token_encrypted else "nothing to revoke"
        )
        return ", ".join(parts)

    @admin.display(description="plan in force")
    def plan_in_force(self, user: User) -> str:
        return str(plan_for(user=user)) if user.pk else "—"

    @admin.display(description="stories this month")
    def stories_this_month(self, user: User) -> str:
        if not user.pk:
            return "—"
        quota = story_quota(user=user)
        return f"{quota.stories_used} of {quota.stories_limit}"

    @admin.display(description="AI spend this month (USD)")
    def spend_this_month(self, user: User) -> str:
        return f"{user_spend(user_id=user.pk)['this_month']:.4f}" if user.pk else "—"

    @admin.display(description="AI spend all time (USD)")
    def spend_all_time(self, user: User) -> str:
        return f"{user_spend(user_id=user.pk)['all_time']:.4f}" if user.pk else "—"

    @admin.display(description="heroes")
    def heroes_link(self, user: User) -> str:
        url = reverse("admin:heroes_hero_changelist") + f"?user__id__exact={user.pk}"
        return format_html(
            '<a href="{}">{} heroes</a>', url, Hero.objects.filter(user=user).count()
        )

    @admin.display(description="stories")
    def stories_link(self, user: User) -> str:
        url = reverse("admin:stories_story_changelist") + f"?user__id__exact={user.pk}"
        return format_html(
            '<a href="{}">{} stories</a>', url, Story.objects.filter(user=user).count()
        )

    @admin.display(description="devices and their last push")
    def devices(self, user: User) -> str:
        return devices_table(user)

    @admin.action(description="Sign out of every device (revoke all sessions)")
    def revoke_sessions(self, request, queryset):
        count = BearerSession.objects.filter(user__in=queryset, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        self.message_user(request, f"Revoked {count} session(s).", messages.SUCCESS)

    @admin.action(
        description="Block new sign-ups from the selected accounts' sign-up networks",
        permissions=["change"],
    )
    def block_signup_networks(self, request, queryset):
        networks = sorted(
            set(queryset.exclude(signup_network="").values_list("signup_network", flat=True))
        )
        for network in networks:
            network_block(
                network=network,
                reason=f"blocked from {queryset.count()} accounts",
                actor=request.user,
            )
        self.message_user(
            request,
            f"Blocked sign-ups from {len(networks)} network(s): {', '.join(networks) or 'none'}.",
            messages.SUCCESS,
        )

    def delete_with_service(self, obj) -> None:
        user_account_delete(user=obj)


@admin.register(BlockedNetwork)
class BlockedNetworkAdmin(admin.ModelAdmin):
    """Networks refused at sign-up (403 SIGNUP_BLOCKED). Delete a row to unblock it."""

    list_display = ["network", "reason", "blocked_at", "blocked_by"]
    search_fields = ["network", "reason"]
    readonly_fields = ["blocked_at", "blocked_by"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.blocked_by = request.user
        super().save_model(request, obj, form, change)


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


@admin.register(AppleTokenRevocation)
class AppleTokenRevocationAdmin(SystemMadeMixin, admin.ModelAdmin):
    """Deleted accounts whose Apple access is still to be revoked (Apple failed at deletion); a
    retried task and a daily sweep keep trying. The token is never shown."""

    list_display = ["id", "client_id", "attempts", "last_attempt_at", "last_error", "created_at"]
    fields = list_display
    readonly_fields = list_display
