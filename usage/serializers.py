"""Request and answer shapes of GET /api/user/usage (usage.selectors.usage_summary), and the
quota numbers other apps' answers show."""

from django.db import connection
from rest_framework import serializers

from .selectors import story_quota

PERIODS = ["current_month", "last_month", "all_time"]


class UsageInputSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=PERIODS, default="current_month")


class UsageTotalsSerializer(serializers.Serializer):
    total_cost = serializers.FloatField(help_text="US dollars.")
    stories_generated = serializers.IntegerField(help_text="Stories written in the period.")
    audio_generated = serializers.IntegerField(
        help_text="Stories narrated in the period: a story counts once however many pieces or "
        "voices its narration took (the breakdown's audio_synthesis counts speech calls)."
    )
    images_generated = serializers.IntegerField(help_text="Pictures and avatars drawn.")
    total_tokens_used = serializers.IntegerField()


class UsageOperationSerializer(serializers.Serializer):
    operation = serializers.CharField()
    count = serializers.IntegerField(
        help_text="Calls to the AI vendor: a narration spoken in several pieces makes one call "
        "per piece."
    )
    cost = serializers.FloatField(help_text="US dollars.")
    tokens_used = serializers.IntegerField(
        allow_null=True, help_text="Null for operations not billed in tokens."
    )


ALERTS = ["near_limit", "at_limit"]


class UsageLimitsSerializer(serializers.Serializer):
    stories_used = serializers.IntegerField()
    stories_limit = serializers.IntegerField()
    percentage = serializers.IntegerField()
    alert = serializers.ChoiceField(
        choices=ALERTS,
        allow_null=True,
        help_text="For the app's banner: near_limit from 80 % of the month's stories, at_limit "
        "at 100 %, else null. The profile's usageAlert says the same.",
    )


class UsageOutputSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=PERIODS)
    summary = UsageTotalsSerializer()
    breakdown = UsageOperationSerializer(many=True)
    limits = UsageLimitsSerializer()


class StoryQuotaField(serializers.IntegerField):
    """One number of a user's monthly story quota (`stories_used` or `stories_limit`, the latter
    from the user's plan), for an answer that shows the user (profile, login)."""

    def __init__(self, attribute: str):
        self.attribute = attribute
        # The range a model's PositiveIntegerField has, as the field was on the user before.
        _, highest = connection.ops.integer_field_range("PositiveIntegerField")
        super().__init__(source="*", min_value=0, max_value=highest, required=False)

    def to_representation(self, user) -> int:
        return getattr(_quota_of(self, user), self.attribute)


class UsageAlertField(serializers.ChoiceField):
    """The profile's banner state, the same as GET /api/user/usage's `limits.alert`."""

    def __init__(self):
        super().__init__(choices=ALERTS, source="*", allow_null=True, read_only=True)

    def to_representation(self, user) -> str | None:
        return _quota_of(self, user).alert


def _quota_of(field: serializers.Field, user):
    """The user's quota, read once per answer however many of its fields the answer shows."""
    states = field.root.__dict__.setdefault("_story_quotas", {})
    if user.pk not in states:
        states[user.pk] = story_quota(user=user)
    return states[user.pk]
