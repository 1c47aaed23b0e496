from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from infinitestories.ids import PublicIdField
from infinitestories.languages import LANGUAGES
from usage.models import quota_period_current  # noqa: F401 - migration 0003 names it here


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, email: str) -> "User":
        return self.get(email=normalize_email(email))


# Where an account whose owner shared no e-mail with Apple sign-in gets its unique, never
# mailed address (.invalid is reserved: it can never be delivered).
NO_EMAIL_DOMAIN = "apple-id.invalid"


def normalize_email(email: str) -> str:
    """E-mail is the login and is case-insensitive: it is stored lower-cased."""
    return (email or "").strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    class Theme(models.TextChoices):
        SYSTEM = "system"
        LIGHT = "light"
        DARK = "dark"

    class Tier(models.TextChoices):
        FREE = "free"
        PREMIUM = "premium"
        FAMILY = "family"

    id = PublicIdField(prefix="user")
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=100, blank=True)
    image = models.URLField(max_length=500, blank=True)
    apple_id = models.CharField(max_length=255, unique=True, null=True, blank=True)

    preferred_language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    theme_preference = models.CharField(max_length=10, choices=Theme.choices, default=Theme.SYSTEM)

    subscription_tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.FREE)
    subscription_expiry = models.DateTimeField(null=True, blank=True)

    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    # The policy version the parent's consent in force covers (empty: none, or withdrawn). Kept
    # here, in step with the ParentalConsent history (accounts.services), so that the one door
    # to AI work (usage.services.ai_work_admit) reads it from the user it already has.
    parental_consent_version = models.CharField(max_length=40, blank=True, editable=False)
    parental_consent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The network the account signed up from (an IPv4 address, an IPv6 /56: one home
    # connection), for staff to review when many new accounts share one and to block it.
    signup_network = models.CharField(max_length=50, blank=True, editable=False)

    # What the family may change in its profile; tier, limits and e-mail are not.
    PROFILE_FIELDS = ("name", "preferred_language", "theme_preference")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        indexes = [
            models.Index(fields=["created_at"]),
            models.Index(fields=["signup_network", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def email_verified(self) -> bool:
        return self.emailaddress_set.filter(email__iexact=self.email, verified=True).exists()

    @property
    def mail_reachable(self) -> bool:
        """Whether mail to `email` can arrive: not the placeholder of an Apple ID that shared no
        e-mail, nor an Apple relay address its owner switched off (Apple's email-disabled)."""
        if self.email.endswith("@" + NO_EMAIL_DOMAIN):
            return False
        if not self.apple_id:
            return True
        return not AppleCredential.objects.filter(
            user=self, email__iexact=self.email, email_reachable=False
        ).exists()


class BearerSession(models.Model):
    """A signed-in device. Only a SHA-256 hash of its token is stored; the token is shown once."""

    id = PublicIdField(prefix="sess")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="bearer_sessions")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-last_used_at"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.user_agent or 'unknown device'})"


class ParentalConsent(models.Model):
    """A parent's consent to a version of our policy, and its withdrawal: the record a regulator
    asks for (COPPA: verifiable parental consent, separate consent to disclosure to third
    parties). Rows are never edited but to note the withdrawal; a new consent is a new row."""

    id = PublicIdField(prefix="consent")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="parental_consents")
    policy_version = models.CharField(max_length=40)
    ai_processing = models.BooleanField()
    third_party_disclosure = models.BooleanField()
    # The AI vendors the policy named at the time: what the parent agreed we disclose to.
    vendors = models.JSONField(default=list)
    consented_at = models.DateTimeField(default=timezone.now)
    app_version = models.CharField(max_length=50, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-consented_at"])]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at else "given"
        return f"Consent to policy {self.policy_version} ({state})"


class BlockedNetwork(models.Model):
    """A network staff blocked from signing up (an IPv4 address, an IPv6 /48, /56 or /64):
    signups from it answer 403 SIGNUP_BLOCKED. Existing accounts are not touched."""

    network = models.CharField(max_length=50, unique=True)
    reason = models.CharField(max_length=300, blank=True)
    blocked_at = models.DateTimeField(default=timezone.now)
    blocked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return self.network


class AppleCredential(models.Model):
    """What Sign in with Apple left us for one account (its Apple ID is `User.apple_id`, Apple's
    `sub`): the refresh token that account deletion revokes (App Store rule 5.1.1(v)), encrypted
    (accounts.apple.token_encrypt), and whether mail reaches the address Apple gave."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="apple_credential"
    )
    # The audience the tokens were issued to (the app's bundle id, or a Services ID).
    client_id = models.CharField(max_length=255)
    refresh_token_encrypted = models.TextField(blank=True, editable=False)
    email = models.EmailField(blank=True)
    is_private_email = models.BooleanField(default=False)
    # Apple's relay can be switched off by the user (server-to-server event email-disabled).
    email_reachable = models.BooleanField(default=True)
    linked_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Apple ID of {self.user_id}"


class AppleTokenRevocation(models.Model):
    """A refresh token whose revocation at Apple failed when its account was deleted: the
    account is gone, this row is what is left to do (retried by accounts.tasks until Apple
    accepts). The token stays encrypted and is deleted with the row."""

    id = PublicIdField(prefix="applerev")
    client_id = models.CharField(max_length=255)
    token_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"Apple token revocation {self.id}"


class AppleNotification(models.Model):
    """A server-to-server event from Apple, kept by its `jti` so that a replayed one is refused."""

    jti = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=40)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.event_type} ({self.received_at:%Y-%m-%d %H:%M})"
