"""Story generation flows: the story in the request, narration and illustrations in jobs."""

import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from heroes.models import Hero
from infinitestories.ai import chain, images, moderation, scenes, speech, story_text
from infinitestories.ai.errors import (
    ContentRefused,
    PermanentProviderError,
    TransientProviderError,
)
from infinitestories.ai.speech import NARRATION_SECONDS_PER_WORD as SECONDS_PER_WORD
from infinitestories.api.errors import ApplicationError, NotFoundError
from infinitestories.ids import new_id
from media.selectors import media_exists, media_read
from media.services import media_delete, media_delete_on_commit, media_save
from usage.services import story_quota_charge, story_quota_check

from . import jobs
from .errors import IDEMPOTENCY_KEY_REUSED, REQUEST_IN_PROGRESS
from .models import CustomStoryEvent, GenerationJob, IdempotencyRecord, Story, StoryIllustration

logger = logging.getLogger(__name__)
Job = GenerationJob


# --- POST /api/stories --------------------------------------------------------------------------


def story_create(
    *,
    user,
    hero,
    language: str,
    event_type: str = "",
    custom_event: CustomStoryEvent | None = None,
    generate_audio: bool = True,
    generate_illustrations: bool = False,
    illustration_count: int = 3,
    voice: str = "",
    priority: str = Job.Priority.NORMAL,
) -> tuple[Story, dict[str, GenerationJob]]:
    """Write a story for `hero` and save it, charging one story of the monthly quota.

    1. Check the quota (cheap, before any AI call).
    2. Moderate the family's text (hero, custom event): 400 CONTENT_REJECTED if flagged.
    3. Write the story (moderated; rewritten once if flagged, else the request fails).
    4. In one transaction: take one story of the quota with a conditional UPDATE (so ten parallel
       requests with one story left save exactly one), save the story, count the custom event's
       use, create the audio / illustration jobs (enqueued on commit).
    """
    story_quota_check(user=user)
    story_id = new_id("story")
    ctx = chain.CallContext(
        operation="moderation", user_id=user.pk, story_id=story_id, hero_id=hero.pk
    )
    moderation.family_text_check(ctx=ctx, hero=hero, custom_event=custom_event)
    draft = story_text.story_write(
        ctx=ctx, hero=hero, language=language, event_type=event_type, custom_event=custom_event
    )

    with transaction.atomic():
        story_quota_charge(user=user)
        # Writing took seconds: the family may have deleted the hero or the event meanwhile.
        # Lock them so they stay until the story is saved; gone means 404, nothing charged.
        if not Hero.objects.select_for_update().filter(pk=hero.pk, user=user).exists():
            raise NotFoundError("Hero not found.")
        if custom_event is not None and not (
            CustomStoryEvent.objects.select_for_update()
            .filter(pk=custom_event.pk, user=user)
            .exists()
        ):
            raise NotFoundError("Custom event not found.")
        story = Story.objects.create(
            id=story_id,
            user=user,
            hero=hero,
            title=draft.title,
            content=draft.content,
            language=language,
            event_type=event_type,
            custom_event=custom_event,
            custom_event_prompt=custom_event.prompt_seed if custom_event is not None else "",
            prompt_version=draft.prompt_version,
        )
        if custom_event is not None:
            CustomStoryEvent.objects.filter(pk=custom_event.pk).update(
                usage_count=F("usage_count") + 1, last_used_at=timezone.now()
            )
        created: dict[str, GenerationJob] = {}
        if generate_audio:
            created["audio_generation"] = audio_request(
                user=user, story=story, voice=voice, priority=priority
            )
        if generate_illustrations:
            created["illustration_generation"] = illustrations_request(
                user=user, story=story, count=illustration_count, priority=priority
            )
    return story, created


# --- Idempotency-Key ------------------------------------------------------------------------------


def request_fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


# Longer than gunicorn lets a request live (WEB_TIMEOUT, 180 s in the Procfile): a reservation
# this old belongs to a request that is certainly dead.
IDEMPOTENCY_ABANDONED_AFTER = timedelta(minutes=5)
# How long a replayable answer is kept: phones retry within minutes, not days.
IDEMPOTENCY_KEPT_FOR = timedelta(days=1)


def idempotency_begin(
    *, user, endpoint: str, key: str, fingerprint: str
) -> tuple[IdempotencyRecord | None, tuple[int, dict] | None]:
    """Reserve `key` for this request, or return the first answer to replay.

    Returns (record, None) for a fresh key, (None, (status, body)) for a finished one; a key still
    being worked on answers 409, a key reused with another body 422.
    """
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user, endpoint=endpoint, key=key, request_hash=fingerprint
            )
        return record, None
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(user=user, endpoint=endpoint, key=key)
    if existing.request_hash != fingerprint:
        raise ApplicationError(
            IDEMPOTENCY_KEY_REUSED,
            "This Idempotency-Key was already used for a different request.",
            status=422,
        )
    if existing.response_status is None:
        # A request that died mid-way (a killed worker) leaves its reservation behind; once it is
        # older than any request can run, the retry takes it over instead of waiting forever.
        cutoff = timezone.now() - IDEMPOTENCY_ABANDONED_AFTER
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, response_status__isnull=True, created_at__lt=cutoff
        ).update(created_at=timezone.now())
        if taken:
            return existing, None
        raise ApplicationError(
            REQUEST_IN_PROGRESS,
            "This request is still being processed. Please retry in a moment.",
            status=409,
            headers={"Retry-After": "2"},
        )
    return None, (existing.response_status, existing.response_body)


def idempotency_finish(*, record: IdempotencyRecord, status: int, body: dict) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=status, response_body=body
    )


def idempotency_records_purge() -> int:
    """Forget answers older than IDEMPOTENCY_KEPT_FOR (a daily beat job)."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - IDEMPOTENCY_KEPT_FOR
    ).delete()
    return deleted


def idempotency_abort(*, record: IdempotencyRecord) -> None:
    """The request failed: forget the key so the retry runs again (nothing was charged)."""
    IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).delete()


# --- Audio -----------------------------------------------------------------------------------------


def _active_job(*, story: Story, kind: str) -> GenerationJob | None:
    return (
        Job.objects.filter(
            story=story, kind=kind, status__in=[Job.Status.QUEUED, Job.Status.PROCESSING]
        )
        .order_by("-created_at")
        .first()
    )


def audio_request(
    *, user, story: Story, voice: str = "", priority: str = Job.Priority.NORMAL
) -> GenerationJob:
    """Queue narration of the story's current text (an active audio job is reused)."""
    voice = voice or settings.AI_DEFAULT_VOICE
    active = _active_job(story=story, kind=Job.Kind.AUDIO)
    if active is not None and active.params.get("voice") == voice:
        return active
    return jobs.job_create(
        user=user, kind=Job.Kind.AUDIO, story=story, priority=priority, params={"voice": voice}
    )


def audio_generate(*, job: GenerationJob) -> None:
    """Narrate the story (run by the audio task; safe to run again).

    1. Synthesise the text in pieces within the TTS limit, concurrently, and join them.
    2. Save the MP3 and remember its key on the job, so a re-run after a crash reuses the file.
    3. In one transaction: point the story at the new file (duration, voice, time), schedule the
       old file's deletion after commit, recompute illustration timestamps, complete the job.
    """
    story = Story.objects.filter(pk=job.story_id).first()
    if story is None:
        jobs.job_fail(job=job, message="The story was deleted.")
        return
    voice = job.params.get("voice") or settings.AI_DEFAULT_VOICE
    text = f"{story.title}.\n\n{story.content}"
    content_hash = hashlib.sha256(text.encode()).hexdigest()
    key = job.params.get("output_key")
    duration = job.params.get("duration")
    if not (key and job.params.get("content_hash") == content_hash and media_exists(key=key)):
        ctx = chain.CallContext(
            operation="audio_synthesis", user_id=job.user_id, story_id=story.pk, job_id=job.pk
        )
        narration = speech.narration_synthesize(
            ctx=ctx,
            text=text,
            voice=voice,
            on_piece=lambda done, total: jobs.job_progress(
                job=job, progress=10 + 80 * done // total
            ),
        )
        key = media_save(
            category="audio", content=narration.audio, extension="mp3", content_type="audio/mpeg"
        )
        duration = narration.duration
        jobs.job_params_update(
            job=job, output_key=key, duration=duration, content_hash=content_hash
        )
    with transaction.atomic():
        story = Story.objects.select_for_update().filter(pk=story.pk).first()
        if story is None:  # deleted while we narrated (its job went with it): drop the file
            media_delete(key=key)
            return
        old_key = story.audio_key
        Story.objects.filter(pk=story.pk).update(
            audio_key=key,
            audio_generated=True,
            audio_duration=round(duration, 2),
            audio_generated_at=timezone.now(),
            voice_type=voice,
            updated_at=timezone.now(),
        )
        if old_key and old_key != key:
            media_delete_on_commit(keys=[old_key])
        story.audio_duration = duration
        illustration_timestamps_recompute(story=story)
        jobs.job_complete(job=job)


# --- Illustrations ---------------------------------------------------------------------------------


def illustrations_request(
    *,
    user,
    story: Story,
    count: int = 3,
    scene_timestamps: list[float] | None = None,
    priority: str = Job.Priority.NORMAL,
) -> GenerationJob:
    """Create `count` pending illustrations and the job that draws them."""
    with transaction.atomic():
        start = (
            StoryIllustration.objects.filter(story=story)
            .order_by("-display_order")
            .values_list("display_order", flat=True)
            .first()
        )
        start = 0 if start is None else start + 1
        rows = [
            StoryIllustration.objects.create(story=story, display_order=start + i)
            for i in range(count)
        ]
        params = {"illustration_ids": [row.pk for row in rows]}
        if scene_timestamps:
            params["timestamps"] = [float(t) for t in scene_timestamps][:count]
        return jobs.job_create(
            user=user, kind=Job.Kind.ILLUSTRATIONS, story=story, priority=priority, params=params
        )


def _estimated_duration(story: Story) -> float:
    return story.audio_duration or len(story.content.split()) * SECONDS_PER_WORD


def _place(
    *, story: Story, rows: list[StoryIllustration], positions: dict, explicit: list[float] | None
) -> None:
    """Timestamps: given ones, else word position x audio duration, else even spacing."""
    total_words = max(1, len(story.content.split()))
    length = _estimated_duration(story)
    count = len(rows)
    stamps: list[float] = []
    for i, row in enumerate(rows):
        if explicit and i < len(explicit):
            stamps.append(explicit[i])
        elif story.audio_duration and row.pk in positions:
            stamps.append(positions[row.pk] / total_words * story.audio_duration)
        else:
            stamps.append(i * length / count)
    for i, row in enumerate(rows):
        end = stamps[i + 1] if i + 1 < count else length
        row.timestamp = round(stamps[i], 2)
        row.duration = round(max(0.0, end - stamps[i]), 2)


def illustration_timestamps_recompute(*, story: Story) -> None:
    """Narration arrived (or changed): move each scene to its word's moment in the audio."""
    for job in Job.objects.filter(story=story, kind=Job.Kind.ILLUSTRATIONS).exclude(
        params__has_key="timestamps"
    ):
        ids = job.params.get("illustration_ids") or []
        rows = list(StoryIllustration.objects.filter(pk__in=ids).order_by("display_order"))
        if not rows:
            continue
        _place(story=story, rows=rows, positions=job.params.get("positions") or {}, explicit=None)
        StoryIllustration.objects.bulk_update(rows, ["timestamp", "duration"])


def _profile_text(hero) -> str:
    profile = getattr(hero, "visual_profile", None) if hero is not None else None
    if profile is not None and profile.canonical_prompt:
        return profile.canonical_prompt
    if hero is None:
        return "a friendly child"
    return f"a {hero.age}-year-old child, {hero.appearance}"


def illustrations_generate(*, job: GenerationJob) -> None:
    """Draw the job's illustrations (run by the illustrations task; safe to run again).

    1. Extract scenes once (structured output) and place timestamps; kept on the rows and job.
    2. Draw every picture not yet drawn concurrently, from the hero's canonical profile and, where
       the model takes references, the avatar. A refused prompt is softened, then made generic.
    3. Save each picture as it lands (main thread); a failed picture is retried once on its own.
    4. Settle: all drawn -> completed; some failed -> completed with a note (failed rows say why);
       all failed -> failed. Transient failures with attempts left re-raise for the task retry,
       which redraws only the missing pictures.
    """
    story = (
        Story.objects.select_related("hero", "hero__visual_profile").filter(pk=job.story_id).first()
    )
    if story is None:
        jobs.job_fail(job=job, message="The story was deleted.")
        return
    ids = job.params.get("illustration_ids") or []
    rows = list(StoryIllustration.objects.filter(pk__in=ids).order_by("display_order"))
    if not rows:
        jobs.job_complete(job=job)
        return
    hero = story.hero
    ctx = chain.CallContext(
        operation="image_generation",
        user_id=job.user_id,
        story_id=story.pk,
        hero_id=hero.pk if hero else "",
        job_id=job.pk,
    )
    if any(not row.scene_description for row in rows):
        found = scenes.scenes_extract(
            ctx=ctx,
            content=story.content,
            count=len(rows),
            hero_name=hero.name if hero else "The hero",
        )
        positions = {}
        for row, scene in zip(rows, found, strict=True):
            row.scene_description = scene.description
            positions[row.pk] = scene.word_index
        _place(story=story, rows=rows, positions=positions, explicit=job.params.get("timestamps"))
        StoryIllustration.objects.bulk_update(rows, ["scene_description", "timestamp", "duration"])
        jobs.job_params_update(job=job, positions=positions)
    jobs.job_progress(job=job, progress=15)

    todo = [row for row in rows if row.generation_status != StoryIllustration.Status.COMPLETED]
    profile = _profile_text(hero)
    reference = None
    if hero is not None and hero.avatar_key and media_exists(key=hero.avatar_key):
        reference = media_read(key=hero.avatar_key)
    StoryIllustration.objects.filter(pk__in=[r.pk for r in todo]).update(
        generation_status=StoryIllustration.Status.GENERATING
    )
    pending: list = []
    transient: list[Exception] = []
    done = len(rows) - len(todo)

    def draw(row: StoryIllustration):
        return images.illustration_draw(
            ctx=ctx,
            profile=profile,
            scene=row.scene_description,
            reference=reference,
            pending=pending,
        )

    workers = max(1, min(settings.AI_IMAGE_CONCURRENCY, len(todo)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="images") as pool:
        futures = {pool.submit(draw, row): row for row in todo}
        retries = {}
        while futures:
            future = next(iter(futures))
            row = futures.pop(future)
            try:
                drawing = future.result()
            except (TransientProviderError, PermanentProviderError) as exc:
                chain.flush(pending)
                if row.pk not in retries and not isinstance(exc, ContentRefused):
                    retries[row.pk] = True
                    row.retry_count += 1
                    StoryIllustration.objects.filter(pk=row.pk).update(retry_count=row.retry_count)
                    futures[pool.submit(draw, row)] = row
                    continue
                if isinstance(exc, TransientProviderError):
                    transient.append(exc)
                status = StoryIllustration.Status.FAILED
                StoryIllustration.objects.filter(pk=row.pk).update(
                    generation_status=status,
                    error_message="This picture could not be drawn. Please try again later.",
                )
                continue
            chain.flush(pending)
            key = media_save(
                category="illustration",
                content=drawing.image.image,
                extension="png",
                content_type="image/png",
            )
            stored = StoryIllustration.objects.filter(pk=row.pk).update(
                image_key=key,
                prompt=drawing.prompt,
                generation_id=drawing.image.generation_id,
                generation_status=StoryIllustration.Status.COMPLETED,
                error_message="",
                updated_at=timezone.now(),
            )
            if not stored:  # the picture (or its story) was deleted meanwhile: drop the file
                media_delete(key=key)
                continue
            done += 1
            jobs.job_progress(job=job, progress=15 + 85 * done // len(rows))
    chain.flush(pending)
    failed_count = len(rows) - done
    if transient and job.attempts < job.max_attempts:
        raise transient[0]
    if failed_count == len(rows):
        jobs.job_fail(job=job, message="The pictures could not be drawn. Please try again later.")
    elif failed_count:
        jobs.job_complete(
            job=job, message=f"{failed_count} of {len(rows)} pictures could not be drawn."
        )
    else:
        jobs.job_complete(job=job)


# --- PATCH /api/stories/{id} (wired by the story update view) ---------------------------------------


def story_edit_check(
    *, user, story: Story, title: str | None = None, content: str | None = None
) -> None:
    """Moderate a family's edit of a story before it is saved: 400 CONTENT_REJECTED if flagged."""
    ctx = chain.CallContext(operation="moderation", user_id=user.pk, story_id=story.pk)
    moderation.user_text_check(
        ctx=ctx, texts={"title": title or "", "content": content or ""}, what="the story"
    )


def story_audio_after_edit(
    *, user, story: Story, content_changed: bool, regenerate_audio: bool, voice: str = ""
) -> GenerationJob | None:
    """PATCH with regenerateAudio: queue narration of the new text when the content changed.

    The story stops claiming narrated audio at once (the old file would not match the text); the
    old file is deleted only after the new one is saved (audio_generate).
    """
    if not (content_changed and regenerate_audio):
        return None
    Story.objects.filter(pk=story.pk).update(audio_generated=False)
    story.audio_generated = False
    return audio_request(
        user=user, story=story, voice=voice or story.voice_type, priority=Job.Priority.NORMAL
    )
