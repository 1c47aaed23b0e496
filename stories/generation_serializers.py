from rest_framework import serializers

from infinitestories.ai.speech import VOICES
from infinitestories.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
)
from infinitestories.api.schema import named_choice_field

from .events import STORY_EVENT_IDS
from .models import LANGUAGES, GenerationJob, StoryIllustration
from .serializers import LanguageField, StoryOutputSerializer

PRIORITIES = [choice for choice, _ in GenerationJob.Priority.choices]


class StoryCreateInputSerializer(serializers.Serializer):
    hero_id = StrictCharField(max_length=40)
    event_type = StrictCharField(max_length=50, required=False, allow_blank=True, default="")
    custom_event_id = StrictCharField(max_length=40, required=False, allow_null=True, default=None)
    language = LanguageField(choices=LANGUAGES, default="en")
    generate_audio = StrictBooleanField(default=True)
    generate_illustrations = StrictBooleanField(default=False)
    illustration_count = StrictIntegerField(min_value=1, max_value=5, default=3)
    voice = serializers.ChoiceField(choices=VOICES, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=PRIORITIES, default="normal")

    def validate_event_type(self, value: str) -> str:
        if value and value not in STORY_EVENT_IDS:
            raise serializers.ValidationError(
                "Unknown event type; GET /api/story-events lists them: "
                + ", ".join(sorted(STORY_EVENT_IDS))
                + "."
            )
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
    count = StrictIntegerField(min_value=1, max_value=5, default=3)
    scene_timestamps = serializers.ListField(
        child=StrictFloatField(min_value=0), required=False, allow_empty=True, max_length=5
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
    custom_prompt = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")
    storage_key = StrictCharField(max_length=255, required=False)


# --- Answer envelopes (documented with @extend_schema in stories.generation_api)

JOB_STATUSES = [choice for choice, _ in GenerationJob.Status.choices]


class JobSummarySerializer(serializers.Serializer):
    queued = serializers.SerializerMethodField(
        help_text="True while the job is queued or processing."
    )
    job_id = serializers.CharField(source="pk")
    estimated_completion_time = serializers.DateTimeField(
        source="estimated_completion_at", allow_null=True
    )

    def get_queued(self, job: GenerationJob) -> bool:
        return job.status in (GenerationJob.Status.QUEUED, GenerationJob.Status.PROCESSING)


class StoryCreateJobsSerializer(serializers.Serializer):
    audio_generation = JobSummarySerializer(required=False, help_text="With generateAudio.")
    illustration_generation = JobSummarySerializer(
        required=False, help_text="With generateIllustrations."
    )


class StoryCreateOutputSerializer(serializers.Serializer):
    story = StoryOutputSerializer()
    jobs = StoryCreateJobsSerializer()


class AudioJobSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=JOB_STATUSES)
    estimated_completion_time = serializers.DateTimeField(
        source="estimated_completion_at", allow_null=True
    )


class AudioRequestOutputSerializer(serializers.Serializer):
    job = AudioJobSerializer()


class AudioJobStatusSerializer(AudioJobSerializer):
    progress = serializers.IntegerField(help_text="0 to 100.")
    attempts = serializers.IntegerField()
    error = serializers.SerializerMethodField(help_text="The reason, once the job failed.")

    def get_error(self, job: GenerationJob) -> str | None:
        return job.error_message or None if job.status == GenerationJob.Status.FAILED else None


class AudioStatusOutputSerializer(serializers.Serializer):
    """Narration done (and no newer job running): audioGenerated true with the audio fields.
    Otherwise audioGenerated and, once a job was requested, the latest job."""

    audio_generated = serializers.BooleanField()
    audio_url = serializers.CharField(allow_null=True, required=False)
    audio_duration = serializers.FloatField(allow_null=True, required=False)
    generated_at = serializers.DateTimeField(allow_null=True, required=False)
    voice = serializers.CharField(required=False)
    job = AudioJobStatusSerializer(required=False)


class IllustrationJobSerializer(AudioJobSerializer):
    illustration_count = serializers.SerializerMethodField()

    def get_illustration_count(self, job: GenerationJob) -> int:
        return len(job.params["illustration_ids"])


class IllustrationRequestOutputSerializer(serializers.Serializer):
    job = IllustrationJobSerializer()


class IllustrationProgressSerializer(serializers.Serializer):
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    total = serializers.IntegerField()
    percentage = serializers.IntegerField(help_text="Completed pictures, 0 to 100.")


class IllustrationStatusItemSerializer(serializers.Serializer):
    id = serializers.CharField()
    generation_status = serializers.ChoiceField(choices=StoryIllustration.Status.choices)
    retry_count = serializers.IntegerField()
    error = serializers.CharField(source="error_message", allow_null=True)

    def to_representation(self, instance):
        body = super().to_representation(instance)
        body["error"] = body["error"] or None
        return body


ILLUSTRATIONS_STATUSES = ["queued", "processing", "none", "failed", "partially_failed", "completed"]
# Its own enum name: `status` of a job is another choice set.
IllustrationsStatusField = named_choice_field("IllustrationsStatusEnum", ILLUSTRATIONS_STATUSES)


class IllustrationStatusOutputSerializer(serializers.Serializer):
    status = IllustrationsStatusField(
        choices=ILLUSTRATIONS_STATUSES,
        help_text="The latest job while it runs; else none (no pictures), failed (all), "
        "partially_failed (some) or completed.",
    )
    progress = IllustrationProgressSerializer()
    illustrations = IllustrationStatusItemSerializer(many=True)
    estimated_completion_time = serializers.DateTimeField(
        allow_null=True, help_text="Only while the job is queued or processing."
    )
