from django.core.cache import cache
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from heroes.selectors import hero_names
from infinitestories.ai import timings
from media.selectors import media_url

from .models import (
    CustomStoryEvent,
    GenerationJob,
    NarrationTimings,
    Story,
    StoryIllustration,
    StoryShare,
)

_STORY_SORT = {"createdAt": "created_at", "listenCount": "listen_count"}
_EVENT_SORT = {"createdAt": "created_at", "usageCount": "usage_count", "title": "title"}


def story_list(
    *,
    user,
    sort_by: str = "createdAt",
    sort_order: str = "desc",
    hero_id: str | None = None,
    event_type: str | None = None,
    language: str | None = None,
    is_favorite: bool | None = None,
) -> QuerySet[Story]:
    """The user's stories (hero or not) with hero name and illustration count in one query."""
    queryset = Story.objects.filter(user=user)
    if hero_id is not None:
        queryset = queryset.filter(hero_id=hero_id)
    if event_type is not None:
        queryset = queryset.filter(event_type=event_type)
    if language is not None:
        queryset = queryset.filter(language=language)
    if is_favorite is not None:
        queryset = queryset.filter(is_favorite=is_favorite)
    prefix = "-" if sort_order == "desc" else ""
    return (
        queryset.select_related("hero")
        .annotate(illustration_count=Count("illustrations"))
        .order_by(f"{prefix}{_STORY_SORT[sort_by]}", f"{prefix}id")
    )


def story_detail_queryset() -> QuerySet[Story]:
    return Story.objects.select_related("hero")


def story_names_hidden(*, story: Story) -> list[str]:
    """Every name the story's text may hold that no AI vendor may read: the family's heroes as
    they are named now, and the story's hero as it was named when the story was written (renamed
    or deleted since)."""
    return sorted({*hero_names(user=story.user), story.hero_name} - {""})


def story_illustrations(*, story: Story) -> list[StoryIllustration]:
    return list(story.illustrations.order_by("display_order", "created_at"))


def custom_event_list(
    *,
    user,
    sort_by: str = "createdAt",
    sort_order: str = "desc",
    category: str | None = None,
    is_favorite: bool | None = None,
) -> QuerySet[CustomStoryEvent]:
    queryset = CustomStoryEvent.objects.filter(user=user)
    if category is not None:
        queryset = queryset.filter(category=category)
    if is_favorite is not None:
        queryset = queryset.filter(is_favorite=is_favorite)
    prefix = "-" if sort_order == "desc" else ""
    return queryset.order_by(f"{prefix}{_EVENT_SORT[sort_by]}", f"{prefix}id")


def job_latest(*, story: Story, kind: str) -> GenerationJob | None:
    return GenerationJob.objects.filter(story=story, kind=kind).order_by("-created_at").first()


def audio_status(*, story: Story) -> dict:
    """GET .../audio/status: the narration once it is done and no newer job runs, else the job."""
    job = job_latest(story=story, kind=GenerationJob.Kind.AUDIO)
    if story.audio_generated and (job is None or not job.is_active):
        return {
            "audio_generated": True,
            "audio_url": media_url(key=story.audio_key),
            "audio_duration": story.audio_duration,
            "generated_at": story.audio_generated_at,
            "voice": story.voice_type,
        }
    status: dict = {"audio_generated": story.audio_generated}
    if job is not None:
        status["job"] = job
    return status


def illustrations_status(*, story: Story) -> dict:
    """GET .../illustrations/status: the running job's state, or how the last set ended."""
    job = job_latest(story=story, kind=GenerationJob.Kind.ILLUSTRATIONS)
    rows = list(StoryIllustration.objects.filter(story=story).order_by("display_order"))
    total = len(rows)
    completed = sum(r.generation_status == StoryIllustration.Status.COMPLETED for r in rows)
    failed = sum(r.generation_status == StoryIllustration.Status.FAILED for r in rows)
    running = job is not None and job.is_active
    if running:
        status = job.status
    elif total == 0:
        status = "none"
    elif failed == total:
        status = "failed"
    elif failed:
        status = "partially_failed"
    else:
        status = "completed"
    # An overdue estimate is "any moment now", never a time in the past.
    eta = (
        max(job.estimated_completion_at, timezone.now())
        if running and job.estimated_completion_at
        else None
    )
    return {
        "status": status,
        "progress": {
            "completed": completed,
            "failed": failed,
            "total": total,
            "percentage": (100 * completed // total) if total else 0,
        },
        "illustrations": rows,
        "estimated_completion_time": eta,
    }


def narration_timings(*, story: Story) -> NarrationTimings | None:
    """The word timings of the story's current narration; None while it has none (never narrated,
    or its text changed since). Narration made before timings existed gets estimated ones."""
    if not (story.audio_generated and story.audio_key):
        return None
    found = NarrationTimings.objects.filter(story=story, audio_key=story.audio_key).first()
    if found is None and story.audio_duration:
        words = timings.words_estimated(text=story.spoken_text, duration=story.audio_duration)
        found = NarrationTimings(
            story=story,
            audio_key=story.audio_key,
            source=NarrationTimings.Source.ESTIMATED,
            words=[word.as_dict() for word in words],
        )
    return found


# A narration's words never change (new narration is a new file), so its answer is cached by file.
TIMINGS_CACHE_SECONDS = 24 * 3600


def narration_timings_answer(*, story: Story) -> dict | None:
    """GET .../audio/timings: {"words", "source"} of the current narration, from the shared cache
    when another request (or process) already read it; None without narration."""
    if not (story.audio_generated and story.audio_key):
        return None
    key = f"timings:{story.audio_key}"
    answer = cache.get(key)
    if answer is None:
        found = narration_timings(story=story)
        if found is None:
            return None
        answer = {"words": found.words, "source": found.source}
        cache.set(key, answer, timeout=TIMINGS_CACHE_SECONDS)
    return answer


def job_status_counts(*, statuses: list[str]) -> dict[str, int]:
    """How many generation jobs are in each of `statuses` (the admin dashboard's jobs panel)."""
    rows = (
        GenerationJob.objects.filter(status__in=statuses).values("status").annotate(n=Count("id"))
    )
    counts = {row["status"]: row["n"] for row in rows}
    return {status: counts.get(status, 0) for status in statuses}


def jobs_queue_state() -> dict:
    """Generation jobs waiting for a worker, and how long the oldest has waited since it was
    requested (seconds; None when none waits). /api/health/ready reports it."""
    waiting = GenerationJob.objects.filter(status=GenerationJob.Status.QUEUED).aggregate(
        queued=Count("id"), oldest=Min("created_at")
    )
    oldest = waiting["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else None
    return {"queued": waiting["queued"], "oldest_queued_seconds": age}


def share_list(*, story: Story) -> QuerySet[StoryShare]:
    """The story's live links (neither revoked nor expired), newest first."""
    return StoryShare.objects.filter(
        story=story, revoked_at=None, expires_at__gt=timezone.now()
    ).order_by("-created_at", "-id")


def share_by_secret(*, secret: str) -> StoryShare | None:
    """The share a link's secret opens, with its story; None for no such link or a revoked one
    (both answer 404, so a revoked link says nothing about what it was). An expired one is
    returned: the caller answers 410."""
    if not secret or len(secret) > 100:
        return None
    share = (
        StoryShare.objects.select_related("story__user")
        .filter(secret_hash=StoryShare.hash_secret(secret))
        .first()
    )
    if share is None or share.revoked_at is not None:
        return None
    # A closed account (Apple's account-delete event, a ban) is being deleted: its links end now.
    if not share.story.user.is_active:
        return None
    return share


def job_detail_queryset() -> QuerySet[GenerationJob]:
    """GET /api/jobs/{jobId}: a story job's request comes with it (its error code)."""
    return GenerationJob.objects.select_related("story_request")
