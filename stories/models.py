import hashlib

from django.conf import settings
from django.db import models

from infinitestories.ids import PublicIdField
from infinitestories.languages import LANGUAGES


class CustomStoryEvent(models.Model):
    """A family's own story occasion ("first lost tooth"), reusable across stories."""

    # What the family writes about the occasion (all of it is moderated and may reach a prompt).
    TEXT_FIELDS = (
        "title",
        "description",
        "prompt_seed",
        "keywords",
        "category",
        "age_range",
        "tone",
        "pictogram_emoji",
    )
    # Every field the family may set; the rest (usage, pictogram file, AI flags) is the server's.
    FAMILY_FIELDS = (*TEXT_FIELDS, "is_favorite")

    id = PublicIdField(prefix="evt")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="custom_events"
    )
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    prompt_seed = models.TextField()
    keywords = models.JSONField(default=list, blank=True)
    category = models.CharField(max_length=50)
    age_range = models.CharField(max_length=20, blank=True)
    tone = models.CharField(max_length=30, default="gentle")
    pictogram_key = models.CharField(max_length=255, blank=True)
    pictogram_emoji = models.CharField(max_length=16, blank=True)
    # Server-owned: counted when a story is made from the event.
    usage_count = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)
    is_favorite = models.BooleanField(default=False)
    ai_enhanced = models.BooleanField(default=False)
    original_prompt = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["category"]),
            models.Index(fields=["is_favorite"]),
            models.Index(fields=["usage_count"]),
        ]

    def __str__(self) -> str:
        return self.title


class Story(models.Model):
    """A story belongs to its user directly, so ownership survives the deletion of its hero."""

    id = PublicIdField(prefix="story")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stories"
    )
    hero = models.ForeignKey(
        "heroes.Hero", on_delete=models.SET_NULL, null=True, blank=True, related_name="stories"
    )
    # The hero's name the story was written with: the text names the child with it, so it is
    # hidden from every vendor even after the hero is renamed or deleted (never sent, never shown).
    hero_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200)
    content = models.TextField()
    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")

    event_type = models.CharField(max_length=50, blank=True)
    custom_event = models.ForeignKey(
        CustomStoryEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="stories"
    )
    custom_event_prompt = models.TextField(blank=True)
    # The prompt template version that wrote the text (templates/prompts/).
    prompt_version = models.CharField(max_length=50, blank=True)

    audio_key = models.CharField(max_length=255, blank=True)
    audio_generated = models.BooleanField(default=False)
    audio_duration = models.FloatField(null=True, blank=True)
    audio_generated_at = models.DateTimeField(null=True, blank=True)
    voice_type = models.CharField(max_length=20, blank=True)

    listen_count = models.PositiveIntegerField(default=0)
    last_listened_at = models.DateTimeField(null=True, blank=True)
    is_favorite = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "stories"
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user", "-listen_count"]),
            models.Index(fields=["is_favorite"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def spoken_text(self) -> str:
        """What a narration of the story speaks: its title, then its text."""
        return f"{self.title}.\n\n{self.content}"


class NarrationTimings(models.Model):
    """Read-along: when each spoken word of one narration file starts and ends.

    Kept per audio file, written as soon as the file is saved (so a narration re-run after a
    crash finds both); the story's current timings are those of its `audio_key`, and the older
    ones are deleted when new narration replaces them. In their own table, so story lists never
    load a few thousand words per row.
    """

    class Source(models.TextChoices):
        VENDOR = "vendor"
        TRANSCRIPTION = "transcription"
        ESTIMATED = "estimated"

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="narration_timings")
    audio_key = models.CharField(max_length=255, unique=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    # [{"text": "Once", "start": 0.0, "end": 0.31}, ...] in the order spoken, seconds.
    words = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "narration timings"

    def __str__(self) -> str:
        return f"{self.story_id}: {len(self.words)} words ({self.source})"


class StoryIllustration(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        GENERATING = "generating"
        COMPLETED = "completed"
        FAILED = "failed"

    id = PublicIdField(prefix="ill")
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="illustrations")
    image_key = models.CharField(max_length=255, blank=True)
    # The prompt sent to the image model (the PRD's dallePrompt) and the scene it drew.
    prompt = models.TextField(blank=True)
    scene_description = models.TextField(blank=True)
    generation_id = models.CharField(max_length=100, blank=True)
    timestamp = models.FloatField(default=0)
    duration = models.FloatField(null=True, blank=True)
    display_order = models.PositiveSmallIntegerField(default=0)
    generation_status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    error_message = models.CharField(max_length=500, blank=True)
    retry_count = models.PositiveSmallIntegerField(default=0)
    # The job that draws it, the word of the text its scene starts at (it is placed on the
    # narration's timeline there), and whether its timestamp was given by the request.
    job = models.ForeignKey(
        "GenerationJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="illustrations",
    )
    word_index = models.PositiveIntegerField(null=True, blank=True)
    timestamp_given = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_order"]
        indexes = [models.Index(fields=["story", "display_order"])]

    def __str__(self) -> str:
        return f"{self.story} #{self.display_order}"


class GenerationJobQuerySet(models.QuerySet):
    def active(self) -> "GenerationJobQuerySet":
        """Jobs still to do or being done: waiting in the queue or running in a worker."""
        return self.filter(status__in=GenerationJob.ACTIVE)


class GenerationJob(models.Model):
    """One unit of background work (narration, illustrations) that the app can poll.

    The row, not the broker, is the source of truth: a heartbeat shows the worker is alive and a
    sweeper re-queues a processing job whose heartbeat went stale.
    """

    class Kind(models.TextChoices):
        AUDIO = "audio"
        ILLUSTRATIONS = "illustrations"
        # A story written by a worker (POST /api/stories with Prefer: respond-async).
        STORY = "story"

    class Status(models.TextChoices):
        QUEUED = "queued"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"

    class Priority(models.TextChoices):
        LOW = "low"
        NORMAL = "normal"
        HIGH = "high"

    id = PublicIdField(prefix="job")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generation_jobs"
    )
    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, null=True, blank=True, related_name="jobs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    # The paid AI work the job does (usage): admitted with the job, ended when the job ends.
    ai_work = models.OneToOneField(
        "usage.CostReservation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="job",
    )
    # Narration: the voice; the file made, its length and the hash of the text it speaks (a run
    # again after a fault reuses it when the text is the same).
    voice = models.CharField(max_length=20, blank=True)
    output_key = models.CharField(max_length=255, blank=True)
    output_duration = models.FloatField(null=True, blank=True)
    text_hash = models.CharField(max_length=64, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    error_message = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    estimated_completion_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Active: still to do or being done (the one place this rule lives; see .active()).
    ACTIVE = (Status.QUEUED, Status.PROCESSING)

    objects = GenerationJobQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["status", "heartbeat_at"]),
            models.Index(fields=["story", "kind", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class StoryShare(models.Model):
    """A private link to one story for someone without an account (a grandparent, a sitter).

    Only the SHA-256 of the link's secret is kept: the full link is shown once, when it is made.
    A revoked share keeps its row (the admin shows its views) but answers like an unknown one;
    deleting the story (or the account) deletes its shares with it.
    """

    id = PublicIdField(prefix="share")
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="shares")
    secret_hash = models.CharField(max_length=64, unique=True)
    hide_name = models.BooleanField(default=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # How often the page was opened; nothing about who opened it (no address, no agent).
    view_count = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["story", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.id} of {self.story_id}"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()


class ImportedItem(models.Model):
    """An item of the family's library brought in by POST /api/import, under the app's own id
    (`client_id`): importing it again finds this row and answers the same server id, so a batch
    can be sent again after a lost connection and nothing is doubled."""

    class Kind(models.TextChoices):
        HERO = "hero"
        CUSTOM_EVENT = "custom_event"
        STORY = "story"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imported_items"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    client_id = models.CharField(max_length=100)
    # The public id of the hero, custom event or story it became (kept if that is deleted later:
    # importing it again does not bring it back).
    object_id = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "client_id"], name="imported_item_once_per_family"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.client_id} -> {self.object_id}"


class StoryWriteRequest(models.Model):
    """What a story written in the background was asked for: its job's input, kept beside the
    job so the job row stays the same for every kind.

    `story_id` is fixed when the job is created: the worker saves the story under it, so a job
    re-run after its worker died finds the story written instead of writing (and charging) a
    second one. The hero and event are kept by id: deleted meanwhile, the job fails 404-like.
    The narration's and pictures' AI work (usage.AIWork) follows the story into their jobs.
    """

    job = models.OneToOneField(
        GenerationJob, on_delete=models.CASCADE, primary_key=True, related_name="story_request"
    )
    story_id = models.CharField(max_length=40, unique=True)
    hero_id = models.CharField(max_length=40)
    custom_event_id = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    event_type = models.CharField(max_length=50, blank=True)
    generate_audio = models.BooleanField(default=True)
    generate_illustrations = models.BooleanField(default=False)
    illustration_count = models.PositiveSmallIntegerField(default=3)
    voice = models.CharField(max_length=20, blank=True)
    # {"audio": <AIWork id>, "illustrations": <AIWork id>}: the follow-ups' admitted work.
    follow_up_work = models.JSONField(default=dict, blank=True)
    # The machine code the job failed with (CONTENT_REJECTED, QUOTA_EXCEEDED...), for the app.
    error_code = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"story request of {self.job_id}"
