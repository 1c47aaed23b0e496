from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from infinitestories.api.schema import SuccessSerializer  # noqa: F401 (accounts.api uses it)
from stories.serializers import LanguageField
from usage.serializers import StoryQuotaField

from .models import LANGUAGES, User


class SignupInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate_password(self, value: str) -> str:
        try:
            validate_password(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


class LoginInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class SignupUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name"]


class LoginUserSerializer(serializers.ModelSerializer):
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


class SessionUserSerializer(serializers.ModelSerializer):
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
    user = SignupUserSerializer()
    session = SessionTokenSerializer(allow_null=True)


class LoginOutputSerializer(serializers.Serializer):
    user = LoginUserSerializer()
    session = SessionTokenSerializer()


class SessionOutputSerializer(serializers.Serializer):
    user = SessionUserSerializer()
    session = SessionTokenSerializer()
