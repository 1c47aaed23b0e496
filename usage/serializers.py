"""Answer shapes of GET /api/user/usage (usage.selectors.usage_summary), for the OpenAPI schema."""

from rest_framework import serializers


class UsageTotalsSerializer(serializers.Serializer):
    total_cost = serializers.FloatField(help_text="US dollars.")
    stories_generated = serializers.IntegerField()
    audio_generated = serializers.IntegerField()
    images_generated = serializers.IntegerField()
    total_tokens_used = serializers.IntegerField()


class UsageOperationSerializer(serializers.Serializer):
    operation = serializers.CharField()
    count = serializers.IntegerField()
    cost = serializers.FloatField(help_text="US dollars.")
    tokens_used = serializers.IntegerField(
        allow_null=True, help_text="Null for operations not billed in tokens."
    )


class UsageLimitsSerializer(serializers.Serializer):
    stories_used = serializers.IntegerField()
    stories_limit = serializers.IntegerField()
    percentage = serializers.IntegerField()


class UsageOutputSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=["current_month", "last_month", "all_time"])
    summary = UsageTotalsSerializer()
    breakdown = UsageOperationSerializer(many=True)
    limits = UsageLimitsSerializer()
