"""Request and answer shapes of the stories endpoints (camelCase comes from the shared parser
and renderer)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from rest_framework import serializers

from heroes.serializers import HeroInputSerializer
from infinitestories.ai.speech import VOICES
from infinitestories.api.fields import (
    FieldsOnceMixin,
    LanguageField,
    SortInputSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
)
from infinitestories.api.schema import (
    PaginationSerializer,
    StringListJSONField,
    named_choice_field,
)
from infinitestories.languages import LANGUAGES
from media.selectors import media_url

from .events import STORY_EVENT_IDS
from .models import CustomStoryEvent, GenerationJob, Story, StoryIllustration, StoryShare

MAX_CONTENT_LENGTH = 50_000
PRIORITIES = [choice for choice, _ in GenerationJob.Priority.choices]


# --- Stories


class StoryListInputSerializer(SortInputSerializer):
    sort_by = serializers.ChoiceField(choices=["createdAt", "listenCount"], default="createdAt")
    hero_id = serializers.CharField(max_length=40, required=False)
    event_type = serializers.CharField(max_length=50, required=False)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False)
    is_favorite = serializers.BooleanField(required=False, allow_null=True, default=None)


class StoryDetailInputSerializer(serializers.Serializer):
    include_illustrations = serializers.BooleanField(default=False)


class StoryUpdateInputSerializer(serializers.Serializer):
    title = StrictCharField(min_length=1, max_length=200, required=False)
    content = StrictCharField(min_length=1, max_length=MAX_CONTENT_LENGTH, required=False)
    is_favorite = StrictBooleanField(required=False)
    regenerate_audio = StrictBooleanField(required=False, default=False)


class IllustrationOutputSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = StoryIllustration
        fields = [
            "id",
            "image_url",
            "timestamp",
            "duration",
            "display_order",
            "generation_status",
            "created_at",
        ]

    def get_image_url(self, illustration: StoryIllustration) -> str | None:
        return media_url(key=illustration.image_key)


class _StoryBaseOutputSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    hero_id = serializers.CharField(allow_null=True)
    language = LanguageField(choices=LANGUAGES, required=False)
    event_type = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField()

    def get_event_type(self, story: Story) -> str | None:
        return story.event_type or None

    def get_audio_url(self, story: Story) -> str | None:
        return media_url(key=story.audio_key)


class StoryListOutputSerializer(_StoryBaseOutputSerializer):
    """A row of GET /api/stories; hero is select_related and illustration_count annotated."""

    hero_name = serializers.SerializerMethodField()
    illustration_count = serializers.IntegerField()

    class Meta:
        model = Story
        fields = [
            "id",
            "hero_id",
            "hero_name",
            "title",
            "content",
            "language",
            "event_type",
            "audio_url",
            "audio_generated",
            "audio_duration",
            "illustration_count",
            "listen_count",
            "is_favorite",
            "created_at",
        ]

    def get_hero_name(self, story: Story) -> str | None:
        return story.hero.name if story.hero else None


class StoryHeroSummarySerializer(FieldsOnceMixin, serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    avatar_url = serializers.SerializerMethodField()

    def get_avatar_url(self, hero) -> str | None:
        return media_url(key=hero.avatar_key)


class StoryOutputSerializer(_StoryBaseOutputSerializer):
    """GET/PATCH /api/stories/{id}: the story with a hero summary (null once the hero is deleted).

    `illustrations` is present only when asked for (context["illustrations"]).
    """

    hero = StoryHeroSummarySerializer(allow_null=True)
    custom_event_id = serializers.CharField(allow_null=True)

    class Meta:
        model = Story
        fields = [
            "id",
            "hero_id",
            "hero",
            "title",
            "content",
            "language",
            "event_type",
            "custom_event_id",
            "audio_url",
            "audio_generated",
            "audio_duration",
            "voice_type",
            "listen_count",
            "last_listened_at",
            "is_favorite",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, story: Story) -> dict:
        data = super().to_representation(story)
        illustrations = self.context.get("illustrations")
        if illustrations is not None:
            data["illustrations"] = IllustrationOutputSerializer(illustrations, many=True).data
        return data


# --- Custom story events

TONES = ["gentle", "exciting", "funny", "calm", "educational", "magical"]


class CustomEventInputSerializer(serializers.Serializer):
    """POST /api/custom-events; PATCH with partial=True. usage_count and last_used_at are the
    server's (ignored if sent), as are ai_enhanced and original_prompt."""

    title = StrictCharField(min_length=1, max_length=100)
    description = StrictCharField(max_length=1000, required=False, allow_blank=True)
    prompt_seed = StrictCharField(min_length=1, max_length=1000)
    keywords = serializers.ListField(
        child=StrictCharField(min_length=1, max_length=50), max_length=10, required=False
    )
    category = StrictCharField(min_length=1, max_length=50)
    age_range = serializers.RegexField(
        r"^\d{1,2}-\d{1,2}$", max_length=20, required=False, allow_blank=True
    )
    tone = serializers.ChoiceField(choices=TONES, required=False)
    pictogram_emoji = StrictCharField(max_length=16, required=False, allow_blank=True)
    is_favorite = StrictBooleanField(required=False)


class CustomEventListInputSerializer(SortInputSerializer):
    sort_by = serializers.ChoiceField(
        choices=["createdAt", "usageCount", "title"], default="createdAt"
    )
    category = serializers.CharField(max_length=50, required=False)
    is_favorite = serializers.BooleanField(required=False, allow_null=True, default=None)


class CustomEventOutputSerializer(serializers.ModelSerializer):
    keywords = StringListJSONField(required=False)
    pictogram_url = serializers.SerializerMethodField()

    class Meta:
        model = CustomStoryEvent
        fields = [
            "id",
            *CustomStoryEvent.TEXT_FIELDS,
            "pictogram_url",
            "usage_count",
            "last_used_at",
            "is_favorite",
            "ai_enhanced",
            "created_at",
            "updated_at",
        ]

    def get_pictogram_url(self, event: CustomStoryEvent) -> str | None:
        return media_url(key=event.pictogram_key)


class StoryEventsInputSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=LANGUAGES, required=False)


# --- Answer envelopes (documented with @extend_schema in stories.api)


class StoryListEnvelopeSerializer(serializers.Serializer):
    stories = StoryListOutputSerializer(many=True)
    pagination = PaginationSerializer()


class StoryWithIllustrationsOutputSerializer(StoryOutputSerializer):
    """Schema only: GET /api/stories/{storyId} adds `illustrations` with
    ?includeIllustrations=true."""

    illustrations = IllustrationOutputSerializer(
        many=True, required=False, help_text="Only with ?includeIllustrations=true."
    )

    class Meta(StoryOutputSerializer.Meta):
        fields = [*StoryOutputSerializer.Meta.fields, "illustrations"]


class StoryDetailEnvelopeSerializer(serializers.Serializer):
    story = StoryWithIllustrationsOutputSerializer()


class AudioRegenerationSerializer(serializers.Serializer):
    queued = serializers.BooleanField(help_text="Whether new narration was queued.")
    job_id = serializers.CharField(required=False, help_text="Only when queued.")
    estimated_completion_time = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Only when queued."
    )


class StoryUpdateJobsSerializer(serializers.Serializer):
    audio_regeneration = AudioRegenerationSerializer()


class StoryUpdateOutputSerializer(serializers.Serializer):
    story = StoryOutputSerializer()
    jobs = StoryUpdateJobsSerializer()


class StoryListenOutputSerializer(serializers.Serializer):
    listen_count = serializers.IntegerField()
    last_listened_at = serializers.DateTimeField(allow_null=True)


class StoryIllustrationListOutputSerializer(serializers.Serializer):
    illustrations = IllustrationOutputSerializer(many=True)
    total_duration = serializers.FloatField(
        allow_null=True, help_text="The narration's length in seconds; null without narration."
    )


class CustomEventEnvelopeSerializer(serializers.Serializer):
    custom_event = CustomEventOutputSerializer()


class CustomEventListEnvelopeSerializer(serializers.Serializer):
    custom_events = CustomEventOutputSerializer(many=True)
    pagination = PaginationSerializer()


class StoryEventOutputSerializer(serializers.Serializer):
    """A built-in event type (stories.events.story_event_list)."""

    id = serializers.CharField()
    emoji = serializers.CharField()
    category = serializers.CharField()
    title = serializers.CharField(help_text="In ?language, or else the user's language.")
    titles = serializers.DictField(
        child=serializers.CharField(), help_text="The title in every language, by language code."
    )


class StoryEventListOutputSerializer(serializers.Serializer):
    events = StoryEventOutputSerializer(many=True)


# --- Generation: new stories, narration and illustration jobs


def _unknown_event_type() -> str:
    """In the language of the request (DRF reads the message when it refuses a value)."""
    return _("Unknown event type; GET /api/story-events lists them: %(events)s.") % {
        "events": ", ".join(sorted(STORY_EVENT_IDS))
    }


class StoryCreateInputSerializer(serializers.Serializer):
    hero_id = StrictCharField(max_length=40)
    event_type = serializers.ChoiceField(
        choices=sorted(STORY_EVENT_IDS),
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid_choice": lazy(_unknown_event_type, str)()},
    )
    custom_event_id = StrictCharField(max_length=40, required=False, allow_null=True, default=None)
    language = LanguageField(choices=LANGUAGES, default="en")
    generate_audio = StrictBooleanField(default=True)
    generate_illustrations = StrictBooleanField(default=False)
    illustration_count = StrictIntegerField(min_value=1, max_value=5, default=3)
    voice = serializers.ChoiceField(choices=VOICES, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=PRIORITIES, default="normal")

    @staticmethod
    def schema_rules() -> dict:
        """A built-in event type or one of the family's own events: at least one of the two."""
        return {
            "anyOf": [
                {
                    "required": ["event_type"],
                    "properties": {"event_type": {"enum": sorted(STORY_EVENT_IDS)}},
                },
                {
                    "required": ["custom_event_id"],
                    "properties": {"custom_event_id": {"type": "string"}},
                },
            ],
        }

    def validate(self, attrs):
        if not attrs.get("event_type") and not attrs.get("custom_event_id"):
            raise serializers.ValidationError(
                {"event_type": _("Give an eventType or a customEventId.")}
            )
        return attrs


class AudioRequestInputSerializer(serializers.Serializer):
    voice = serializers.ChoiceField(choices=VOICES, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=PRIORITIES, default="normal")


# Pictures a request may ask for, and how many when it does not say.
MAX_COUNT = 5
DEFAULT_COUNT = 3


class IllustrationRequestInputSerializer(serializers.Serializer):
    count = StrictIntegerField(min_value=1, max_value=MAX_COUNT, default=DEFAULT_COUNT)
    scene_timestamps = serializers.ListField(
        child=StrictFloatField(min_value=0), required=False, allow_empty=True, max_length=MAX_COUNT
    )
    priority = serializers.ChoiceField(choices=PRIORITIES, default="normal")

    @staticmethod
    def schema_rules() -> dict:
        """sceneTimestamps, when given, has one timestamp per illustration (count, 3 if absent)."""
        one_per_picture = [
            {
                "required": ["scene_timestamps"]
                if n == DEFAULT_COUNT
                else ["count", "scene_timestamps"],
                "properties": {
                    "count": {"enum": [n]},
                    "scene_timestamps": {"minItems": n, "maxItems": n},
                },
            }
            for n in range(1, MAX_COUNT + 1)
        ]
        return {"anyOf": [{"properties": {"scene_timestamps": {"maxItems": 0}}}, *one_per_picture]}

    def validate(self, attrs):
        stamps = attrs.get("scene_timestamps") or []
        if stamps and len(stamps) != attrs["count"]:
            raise serializers.ValidationError(
                {"scene_timestamps": _("Give one timestamp per illustration.")}
            )
        # The pictures follow the story: shown in time order, whatever order the times came in.
        attrs["scene_timestamps"] = sorted(stamps)
        return attrs


# --- Generation answers

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
        return job.is_active


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


class WordTimingSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The word as written, without surrounding punctuation.")
    start = serializers.FloatField(help_text="Seconds from the start of the narration.")
    end = serializers.FloatField(help_text="Seconds; never before `start`.")


TIMINGS_SOURCES = ["vendor", "transcription", "estimated"]
TimingsSourceField = named_choice_field("TimingsSourceEnum", TIMINGS_SOURCES)


class AudioTimingsOutputSerializer(serializers.Serializer):
    """Read-along: every spoken word of the title and content, in order, with its times."""

    words = WordTimingSerializer(many=True)
    source = TimingsSourceField(
        choices=TIMINGS_SOURCES,
        help_text="vendor: the speech vendor's own alignment; transcription: the narration "
        "transcribed with word timestamps; estimated: from the text and the audio's duration.",
    )


class IllustrationJobSerializer(AudioJobSerializer):
    illustration_count = serializers.SerializerMethodField()

    def get_illustration_count(self, job: GenerationJob) -> int:
        return job.illustrations.count()


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


# --- Share links


class ShareCreateInputSerializer(serializers.Serializer):
    expires_in_days = StrictIntegerField(
        min_value=1,
        max_value=90,
        default=30,
        help_text="How many days the link works (1 to 90).",
    )
    hide_name = StrictBooleanField(
        default=False,
        help_text="Replace the hero's name in the title and text by a neutral word of the "
        "story's language; the page then has no narration (the voice says the name).",
    )


class ShareOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="The link to send, absolute. Only in the answer that made it: the server keeps "
        "a hash of its secret, not the link (null in lists)."
    )

    class Meta:
        model = StoryShare
        fields = ["id", "url", "expires_at", "created_at", "hide_name", "view_count"]
        # An answer only: every field is always there (the schema says so).
        read_only_fields = fields

    def get_url(self, share: StoryShare) -> str | None:
        return self.context.get("urls", {}).get(share.pk)


class ShareEnvelopeSerializer(serializers.Serializer):
    share = ShareOutputSerializer()


class ShareListEnvelopeSerializer(serializers.Serializer):
    shares = ShareOutputSerializer(many=True)


# --- Bringing a family's library in (POST /api/import)

IMPORT_MAX_HEROES = 50
IMPORT_MAX_CUSTOM_EVENTS = 50
IMPORT_MAX_STORIES = 50
IMPORT_MAX_ILLUSTRATIONS = 10
# Files named in one request: each is read, checked and copied in the request (a picture is
# decoded and encoded again: up to a few seconds for a large PNG), which must end well inside the
# web timeout (WEB_TIMEOUT, 150 s) on a busy server.
IMPORT_MAX_FILES = 30
IMPORT_MAX_LISTEN_COUNT = 1_000_000
# Timestamps within the longest narration accepted (media.sounds.MAX_SECONDS).
IMPORT_MAX_TIMESTAMP = 2 * 3600.0
# A phone's clock may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)


class PastDateTimeField(serializers.DateTimeField):
    """A moment that has happened (an item's creation, its last listen)."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if moment > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError(_("Must not be in the future."))
        return moment


def _client_id() -> StrictCharField:
    return StrictCharField(
        min_length=1, max_length=100, help_text="The app's own id of the item (any string)."
    )


class HeroImportSerializer(HeroInputSerializer):
    client_id = _client_id()
    avatar_storage_key = StrictCharField(
        max_length=255, required=False, help_text="An upload of category `avatar`."
    )
    created_at = PastDateTimeField(required=False)


class CustomEventImportSerializer(CustomEventInputSerializer):
    client_id = _client_id()
    pictogram_storage_key = StrictCharField(
        max_length=255, required=False, help_text="An upload of category `pictogram`."
    )
    created_at = PastDateTimeField(required=False)


class StoryImportAudioSerializer(serializers.Serializer):
    storage_key = StrictCharField(max_length=255, help_text="An upload of category `audio`.")
    voice = serializers.ChoiceField(choices=VOICES, required=False, allow_blank=True, default="")


class StoryImportIllustrationSerializer(serializers.Serializer):
    storage_key = StrictCharField(max_length=255, help_text="An upload of category `illustration`.")
    timestamp = StrictFloatField(min_value=0, max_value=IMPORT_MAX_TIMESTAMP)


class StoryImportSerializer(serializers.Serializer):
    """A story as the app holds it: its hero and custom event by the app's id (an item of this
    import or of an earlier one) or by server id (a hero or event the family has here)."""

    client_id = _client_id()
    hero_client_id = StrictCharField(min_length=1, max_length=100, required=False)
    hero_id = StrictCharField(max_length=40, required=False)
    title = StrictCharField(min_length=1, max_length=200)
    content = StrictCharField(min_length=1, max_length=MAX_CONTENT_LENGTH)
    language = LanguageField(choices=LANGUAGES, default="en")
    event_type = serializers.ChoiceField(
        choices=sorted(STORY_EVENT_IDS),
        required=False,
        allow_blank=True,
        allow_null=True,  # as GET /api/user/export writes a story without one
        default="",
        error_messages={"invalid_choice": lazy(_unknown_event_type, str)()},
    )
    custom_event_client_id = StrictCharField(min_length=1, max_length=100, required=False)
    custom_event_id = StrictCharField(max_length=40, required=False)
    is_favorite = StrictBooleanField(default=False)
    listen_count = StrictIntegerField(min_value=0, max_value=IMPORT_MAX_LISTEN_COUNT, default=0)
    created_at = PastDateTimeField(required=False)
    last_listened_at = PastDateTimeField(required=False, allow_null=True, default=None)
    audio = StoryImportAudioSerializer(required=False, allow_null=True, default=None)
    illustrations = StoryImportIllustrationSerializer(
        many=True, required=False, max_length=IMPORT_MAX_ILLUSTRATIONS, default=list
    )

    @staticmethod
    def schema_rules() -> dict:
        """A hero by clientId or by id, not both; the same for the custom event."""
        return {
            "allOf": [
                {"not": {"required": ["hero_client_id", "hero_id"]}},
                {"not": {"required": ["custom_event_client_id", "custom_event_id"]}},
            ]
        }

    def validate(self, attrs):
        if "hero_client_id" in attrs and "hero_id" in attrs:
            raise serializers.ValidationError({"hero_id": _("Give heroClientId or heroId.")})
        if "custom_event_client_id" in attrs and "custom_event_id" in attrs:
            raise serializers.ValidationError(
                {"custom_event_id": _("Give customEventClientId or customEventId.")}
            )
        return attrs


def _batch_too_large(kind: str, limit: int) -> str:
    messages = {
        "heroes": _("At most %(limit)d heroes a request: import the library in batches."),
        "custom_events": _(
            "At most %(limit)d custom events a request: import the library in batches."
        ),
        "stories": _("At most %(limit)d stories a request: import the library in batches."),
    }
    return messages[kind] % {"limit": limit}


class ImportInputSerializer(serializers.Serializer):
    heroes = HeroImportSerializer(many=True, required=False, default=list)
    custom_events = CustomEventImportSerializer(many=True, required=False, default=list)
    stories = StoryImportSerializer(many=True, required=False, default=list)

    LIMITS = {
        "heroes": IMPORT_MAX_HEROES,
        "custom_events": IMPORT_MAX_CUSTOM_EVENTS,
        "stories": IMPORT_MAX_STORIES,
    }

    @staticmethod
    def schema_rules() -> dict:
        """The batch limits, stated where the items are (enforced before any item is read)."""
        return {
            "properties": {
                name: {"maxItems": limit} for name, limit in ImportInputSerializer.LIMITS.items()
            }
        }

    def to_internal_value(self, data):
        # Refused whole before a thousand items are validated one by one.
        if isinstance(data, dict):
            too_many = {
                name: _batch_too_large(name, limit)
                for name, limit in self.LIMITS.items()
                if isinstance(data.get(name), list) and len(data[name]) > limit
            }
            if too_many:
                raise serializers.ValidationError(too_many)
        return super().to_internal_value(data)

    def validate(self, attrs):
        if import_files_count(attrs) > IMPORT_MAX_FILES:
            raise serializers.ValidationError(
                _("At most %(limit)d files a request: import the library in smaller batches.")
                % {"limit": IMPORT_MAX_FILES}
            )
        return attrs


def import_files_count(attrs: dict) -> int:
    """How many files a batch names (avatars, pictograms, narrations, illustrations)."""
    count = sum(1 for hero in attrs.get("heroes", []) if hero.get("avatar_storage_key"))
    count += sum(
        1 for event in attrs.get("custom_events", []) if event.get("pictogram_storage_key")
    )
    for story in attrs.get("stories", []):
        count += (1 if story.get("audio") else 0) + len(story.get("illustrations", []))
    return count


class ImportedItemSerializer(serializers.Serializer):
    client_id = serializers.CharField()
    id = serializers.CharField(help_text="The server's id of the item.")


class ImportOutputSerializer(serializers.Serializer):
    heroes = ImportedItemSerializer(many=True)
    custom_events = ImportedItemSerializer(many=True)
    stories = ImportedItemSerializer(many=True)


class StoryAcceptedOutputSerializer(serializers.Serializer):
    """POST /api/stories with Prefer: respond-async: the job that writes the story."""

    job = AudioJobSerializer()


# What a failed job's errorCode is when nothing more precise was noted.
JOB_FAILED_CODE = "AI_FAILED"


class JobOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.ChoiceField(choices=[choice for choice, _ in GenerationJob.Kind.choices])
    status = serializers.ChoiceField(choices=JOB_STATUSES)
    progress = serializers.IntegerField(help_text="0 to 100.")
    story_id = serializers.CharField(
        allow_null=True, help_text="The story, once it exists (a story job: once written)."
    )
    error = serializers.SerializerMethodField(help_text="Why it failed, for the family.")
    error_code = serializers.SerializerMethodField(
        help_text="Once failed: CONTENT_REJECTED, QUOTA_EXCEEDED, NOT_FOUND, AI_FAILED..."
    )
    estimated_completion_time = serializers.DateTimeField(
        source="estimated_completion_at", allow_null=True
    )

    def get_error(self, job: GenerationJob) -> str | None:
        return job.error_message or None if job.status == GenerationJob.Status.FAILED else None

    def get_error_code(self, job: GenerationJob) -> str | None:
        if job.status != GenerationJob.Status.FAILED:
            return None
        request = getattr(job, "story_request", None) if job.kind == "story" else None
        return (request.error_code if request is not None else "") or JOB_FAILED_CODE


class JobEnvelopeSerializer(serializers.Serializer):
    job = JobOutputSerializer()
