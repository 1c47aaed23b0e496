import re

from rest_framework import serializers

from infinitestories.ai.speech import VOICES

from .models import LANGUAGES, GenerationJob

PRIORITIES = [choice for choice, _ in GenerationJob.Priority.choices]
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class StoryCreateInputSerializer(serializers.Serializer):
    hero_id = serializers.CharField(max_length=40)
    event_type = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    custom_event_id = serializers.CharField(
        max_length=40, required=False, allow_null=True, default=None
    )
    language = serializers.ChoiceField(choices=LANGUAGES, default="en")
    generate_audio = serializers.BooleanField(default=True)
    generate_illustrations = serializers.BooleanField(default=False)
    illustration_count = serializers.IntegerField(min_value=1, max_value=5, default=3)
    voice = serializers.ChoiceField(choices=VOICES, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=PRIORITIES, default="normal")

    def validate_event_type(self, value: str) -> str:
        value = value.strip().lower()
        if value and not EVENT_TYPE.match(value):
            raise serializers.ValidationError("Use lower-case letters, digits and underscores.")
        return value

    def validate(self, attrs):
        if not attrs.get("event_type") and not attrs.get("custom_event_id"):
            raise serializers.ValidationError(
                {"event_type": "Give an eventType or a customEventId."}
            )
        return attrs


class AudioRequestInputSerializer(serializers.Serializer):
    voice = serializers.ChoiceField(choices=VOICES, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=PRIORITIES, default="normal")


class IllustrationRequestInputSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=5, default=3)
    scene_timestamps = serializers.ListField(
        child=serializers.FloatField(min_value=0), required=False, allow_empty=True, max_length=5
    )
    priority = serializers.ChoiceField(choices=PRIORITIES, default="normal")

    def validate(self, attrs):
        stamps = attrs.get("scene_timestamps") or []
        if stamps and stamps != sorted(stamps):
            raise serializers.ValidationError({"scene_timestamps": "Timestamps must be in order."})
        if stamps and len(stamps) != attrs["count"]:
            raise serializers.ValidationError(
                {"scene_timestamps": "Give one timestamp per illustration."}
            )
        return attrs


class AvatarInputSerializer(serializers.Serializer):
    custom_prompt = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default=""
    )
    storage_key = serializers.CharField(max_length=255, required=False)


def job_eta(job: GenerationJob | None):
    return job.estimated_completion_at if job is not None else None
