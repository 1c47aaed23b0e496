"""Request and answer shapes of the account endpoints: auth, profile, export."""

from dj_rest_auth.serializers import PasswordResetConfirmSerializer
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from heroes.serializers import HeroOutputSerializer
from infinitestories.api.errors import NotFoundError
from infinitestories.api.fields import (
    FieldsOnceMixin,
    LanguageField,
    StrictBooleanField,
    StrictCharField,
)
from infinitestories.languages import LANGUAGES
from media.serializers import FileUploadOutputSerializer
from notifications.serializers import DeviceExportSerializer
from stories.serializers import CustomEventOutputSerializer, StoryWithIllustrationsOutputSerializer
from usage.serializers import StoryQuotaField, UsageAlertField

from .models import ParentalConsent, User
from .selectors import consent_current

# --- Parental consent


class ConsentInputSerializer(serializers.Serializer):
    """A parent's consent: to the current policy version, to AI processing and to disclosure to
    the AI vendors the policy names (both must be true; accounts.services checks)."""

    policy_version = StrictCharField(max_length=40)
    ai_processing = StrictBooleanField()
    third_party_disclosure = StrictBooleanField()
    app_version = StrictCharField(max_length=50, required=False, allow_blank=True, default="")

    @staticmethod
    def schema_rules() -> dict:
        """Consent is to the current policy, both parts given; anything less is 400."""
        return {
            "properties": {
                "policy_version": {"enum": [settings.PARENTAL_CONSENT_POLICY_VERSION]},
                "ai_processing": {"enum": [True]},
                "third_party_disclosure": {"enum": [True]},
            }
        }


class ConsentOutputSerializer(serializers.ModelSerializer):
    is_current = serializers.SerializerMethodField(
        help_text="False when the policy changed since: ask the parent again."
    )

    class Meta:
        model = ParentalConsent
        fields = [
            "id",
            "policy_version",
            "is_current",
            "ai_processing",
            "third_party_disclosure",
            "vendors",
            "consented_at",
            "app_version",
        ]

    def get_is_current(self, consent: ParentalConsent) -> bool:
        return consent.policy_version == settings.PARENTAL_CONSENT_POLICY_VERSION


class ConsentEnvelopeSerializer(serializers.Serializer):
    """GET, POST, DELETE /api/user/consent."""

    consent = ConsentOutputSerializer(allow_null=True)
    current_policy_version = serializers.CharField()


def consent_body(user) -> dict:
    consent = consent_current(user=user)
    return {
        "consent": ConsentOutputSerializer(consent).data if consent is not None else None,
        "current_policy_version": settings.PARENTAL_CONSENT_POLICY_VERSION,
    }


class ConsentExportSerializer(ConsentOutputSerializer):
    """The whole history, with what we recorded of where each consent came from."""

    class Meta(ConsentOutputSerializer.Meta):
        fields = [*ConsentOutputSerializer.Meta.fields, "ip_address", "user_agent", "withdrawn_at"]


# --- Auth


# Django's password validators (settings.AUTH_PASSWORD_VALIDATORS): at least 8 characters, an
# uppercase letter and a digit, not a common password, not like the e-mail. The schema states
# the first three with ASCII letters and digits; the server also counts other scripts' ones.
_PASSWORD_RULE = r"^[^\x00]*([A-Z][^\x00]*[0-9]|[0-9][^\x00]*[A-Z])[^\x00]*$"  # noqa: S105 - a pattern, not a password


@extend_schema_field(
    {
        "type": "string",
        "minLength": 8,
        "maxLength": 128,
        "pattern": _PASSWORD_RULE,
        "description": "At least 8 characters with an uppercase letter and a digit (the pattern "
        "names A-Z and 0-9; other scripts' capitals and digits count too), not a common "
        "password, not like the e-mail address.",
    },
    component_name="NewPassword",
)
class NewPasswordField(StrictCharField):
    """A password being chosen: checked by Django's password validators."""

    def __init__(self, **kwargs):
        super().__init__(max_length=128, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            validate_password(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


class SignupInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = NewPasswordField()
    name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    parental_consent = ConsentInputSerializer(required=False)


class PasswordResetConfirmInputSerializer(PasswordResetConfirmSerializer):
    """dj-rest-auth's, with the new password described as at signup. A `uid` and `token` that
    name no live reset link (wrong, used or expired) are not found, as an unknown e-mail
    verification key is: 404."""

    new_password1 = NewPasswordField()
    new_password2 = StrictCharField(
        max_length=128, trim_whitespace=False, help_text="The new password again."
    )
    uid = StrictCharField(max_length=100)
    token = StrictCharField(max_length=100)

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict) and set(exc.detail) <= {"uid", "token"}:
                raise NotFoundError(
                    _("This reset link is wrong, used or expired: ask for a new one.")
                ) from None
            raise


class LoginInputSerializer(serializers.Serializer):
    email = StrictCharField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class AppleFullNameSerializer(serializers.Serializer):
    """ASAuthorizationAppleIDCredential.fullName: sent by Apple on the very first sign-in only."""

    given_name = StrictCharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    family_name = StrictCharField(max_length=100, required=False, allow_blank=True, allow_null=True)


class AppleSignInInputSerializer(serializers.Serializer):
    identity_token = StrictCharField(
        max_length=8192, help_text="The credential's identityToken (a JWT), as UTF-8 text."
    )
    authorization_code = StrictCharField(
        max_length=2048,
        required=False,
        allow_blank=True,
        default="",
        help_text="The credential's authorizationCode, as UTF-8 text: exchanged once at Apple "
        "so that deleting the account can revoke the app's access. Send it on every sign-in.",
    )
    nonce = StrictCharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="The raw nonce whose SHA-256 hex the app put in the authorization request.",
    )
    full_name = AppleFullNameSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text="The credential's fullName: Apple gives it on the first sign-in only.",
    )


class AppleLinkInputSerializer(serializers.Serializer):
    identity_token = StrictCharField(max_length=8192)
    authorization_code = StrictCharField(
        max_length=2048, required=False, allow_blank=True, default=""
    )
    nonce = StrictCharField(max_length=255, required=False, allow_blank=True, default="")


class AppleNotificationInputSerializer(serializers.Serializer):
    payload = StrictCharField(
        max_length=8192, help_text="The event as a JWT signed by Apple (Apple fills this in)."
    )


class LoginUserSerializer(serializers.ModelSerializer):
    """The user as signup and login answer it: the app shows the plan and the month's stories
    straight after either."""

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "name",
            "subscription_tier",
            "monthly_stories_used",
            "monthly_stories_limit",
        ]

    monthly_stories_used = StoryQuotaField("stories_used")
    monthly_stories_limit = StoryQuotaField("stories_limit")


class SessionUserSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    preferred_language = LanguageField(choices=LANGUAGES, required=False)

    class Meta:
        model = User
        fields = ["id", "email", "name", "preferred_language", "subscription_tier"]


def session_body(session, token: str | None = None) -> dict:
    body = {"expires_at": session.expires_at}
    if token is not None:
        body = {"token": token, **body}
    return body


class SessionTokenSerializer(serializers.Serializer):
    token = serializers.CharField(required=False)
    expires_at = serializers.DateTimeField()


class SignupOutputSerializer(serializers.Serializer):
    user = LoginUserSerializer()
    session = SessionTokenSerializer(allow_null=True)


class LoginOutputSerializer(serializers.Serializer):
    user = LoginUserSerializer()
    session = SessionTokenSerializer()


class SessionOutputSerializer(serializers.Serializer):
    user = SessionUserSerializer()
    session = SessionTokenSerializer()


# --- The profile and the export


class ProfileOutputSerializer(serializers.ModelSerializer):
    email_verified = serializers.BooleanField(read_only=True)
    apple_linked = serializers.SerializerMethodField(
        help_text="Whether the account signs in with Apple (an Apple ID is linked)."
    )
    parental_consent = serializers.SerializerMethodField()
    monthly_stories_used = StoryQuotaField("stories_used")
    monthly_stories_limit = StoryQuotaField("stories_limit")
    usage_alert = UsageAlertField()
    preferred_language = LanguageField(choices=LANGUAGES, required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "email_verified",
            "apple_linked",
            "name",
            "preferred_language",
            "theme_preference",
            "subscription_tier",
            "subscription_expiry",
            "monthly_stories_used",
            "monthly_stories_limit",
            "usage_alert",
            "parental_consent",
            "created_at",
            "updated_at",
            "last_seen_at",
        ]

    def get_apple_linked(self, user: User) -> bool:
        return bool(user.apple_id)

    @extend_schema_field(ConsentOutputSerializer(allow_null=True))
    def get_parental_consent(self, user: User) -> dict | None:
        consent = consent_current(user=user)
        return ConsentOutputSerializer(consent).data if consent is not None else None


class ProfileUpdateInputSerializer(serializers.Serializer):
    """The only client-writable profile fields. Anything else sent (tier, limits, usage, e-mail,
    verification) is not a field here and is ignored."""

    name = StrictCharField(max_length=100, required=False, allow_blank=True)
    preferred_language = LanguageField(choices=LANGUAGES, required=False)
    theme_preference = serializers.ChoiceField(choices=User.Theme.choices, required=False)


# --- Answer envelopes (documented with @extend_schema in accounts.api)


class ProfileEnvelopeSerializer(serializers.Serializer):
    user = ProfileOutputSerializer()


class ExportSessionSerializer(serializers.Serializer):
    id = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    ip_address = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField()


class ExportOutputSerializer(serializers.Serializer):
    """GET /api/user/export (accounts.selectors.user_export), sent as a file download."""

    exported_at = serializers.DateTimeField()
    user = ProfileOutputSerializer()
    heroes = HeroOutputSerializer(many=True)
    stories = StoryWithIllustrationsOutputSerializer(many=True)
    custom_events = CustomEventOutputSerializer(many=True)
    files = FileUploadOutputSerializer(many=True)
    sessions = ExportSessionSerializer(many=True)
    parental_consents = ConsentExportSerializer(many=True)
    devices = DeviceExportSerializer(many=True, help_text="The phones that get pushes.")
    usage = serializers.ListField(
        child=serializers.DictField(),
        help_text="The user's AI usage rows, every column of the usage log but the user.",
    )


class LogoutInputSerializer(serializers.Serializer):
    device_token = StrictCharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="This phone's APNs device token: it stops getting this account's pushes.",
    )
