from rest_framework import serializers

from infinitestories.api.fields import StrictCharField

from .models import LANGUAGES, User


class ProfileOutputSerializer(serializers.ModelSerializer):
    email_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "email_verified",
            "name",
            "preferred_language",
            "theme_preference",
            "subscription_tier",
            "subscription_expiry",
            "monthly_stories_used",
            "monthly_stories_limit",
            "created_at",
            "updated_at",
            "last_seen_at",
        ]


class ProfileUpdateInputSerializer(serializers.Serializer):
    """The only client-writable profile fields. Anything else sent (tier, limits, usage, e-mail,
    verification) is not a field here and is ignored."""

    name = StrictCharField(max_length=100, required=False, allow_blank=True)
    preferred_language = serializers.ChoiceField(choices=LANGUAGES, required=False)
    theme_preference = serializers.ChoiceField(choices=User.Theme.choices, required=False)
