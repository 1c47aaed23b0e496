"""Illustrations: queue pictures for a story, draw them (the illustrations task runs
`illustrations_generate`), place them on the narration's timeline, delete one."""

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from infinitestories.ai import chain, images, scenes, timings
from infinitestories.ai.base import Operation
from infinitestories.ai.errors import ContentRefused, PermanentProviderError, TransientProviderError
from infinitestories.ai.speech import NARRATION_SECONDS_PER_WORD
from infinitestories.faults import with_retries
from media.selectors import picture_read
from media.services import media_delete_on_commit, picture_save
from usage.selectors import paid_calls
from usage.services import AIWork, ai_work_admit

from ..models import GenerationJob, Story, StoryIllustration
from ..selectors import narration_timings, story_names_hidden
from . import jobs

Job = GenerationJob


def illustrations_request(
    *,
    user,
    story: Story,
    count: int = 3,
    scene_timestamps: list[float] | None = None,
    priority: str = Job.Priority.NORMAL,
    work: AIWork | None = None,
) -> GenerationJob:
    """Create `count` pending illustrations and the job that draws them.

    The pictures are admitted here (usage counts pictures, not requests, and the plan caps them
    per story) unless the caller admitted them already (`work`); the plan also sets their
    quality and size, kept with the job's work.
    """
    with transaction.atomic():
        # One request for a story's pictures at a time: the count the plan caps is then the
        # count there will be (two parallel requests cannot both fit under the cap).
        Story.objects.select_for_update().filter(pk=story.pk).exists()
        if work is None:
            work = ai_work_admit(
                user=user,
                operation=Operation.IMAGE_GENERATION,
                units=count,
                priority=priority,
                pictures_on_story=story.illustrations.exclude(
                    generation_status=StoryIllustration.Status.FAILED
                ).count(),
            )
        start = (
            StoryIllustration.objects.filter(story=story)
            .order_by("-display_order")
            .values_list("display_order", flat=True)
            .first()
        )
        start = 0 if start is None else start + 1
        job = jobs.job_create(
            user=user, kind=Job.Kind.ILLUSTRATIONS, story=story, priority=priority, work=work
        )
        given = [float(t) for t in scene_timestamps or []][:count]
        for i in range(count):
            StoryIllustration.objects.create(
                story=story,
                job=job,
                display_order=start + i,
                timestamp=given[i] if i < len(given) else 0,
                timestamp_given=i < len(given),
            )
        return job


def _estimated_duration(story: Story) -> float:
    return story.audio_duration or len(story.content.split()) * NARRATION_SECONDS_PER_WORD


def _first_word_start(*, story: Story, words: list[dict], position: int) -> float | None:
    """When the narration speaks the scene's first word: `position` counts the content's
    whitespace tokens; the timings count spoken words of the title, then of the content."""
    tokens = story.content.split()
    index = len(timings.spoken_words(story.title)) + len(
        timings.spoken_words(" ".join(tokens[:position]))
    )
    return words[index]["start"] if index < len(words) else None


def _place(
    *, story: Story, rows: list[StoryIllustration], positions: dict, explicit: list[float] | None
) -> None:
    """Timestamps: given ones; else when the narration speaks the scene's first word (its word
    timings); else word position x audio duration; else even spacing."""
    total_words = max(1, len(story.content.split()))
    length = _estimated_duration(story)
    found = narration_timings(story=story) if story.audio_duration else None
    words = found.words if found is not None else []
    count = len(rows)
    stamps: list[float] = []
    for i, row in enumerate(rows):
        spoken = None
        if words and row.pk in positions:
            spoken = _first_word_start(story=story, words=words, position=positions[row.pk])
        if explicit and i < len(explicit):
            stamps.append(explicit[i])
        elif spoken is not None:
            stamps.append(spoken)
        elif story.audio_duration and row.pk in positions:
            stamps.append(positions[row.pk] / total_words * story.audio_duration)
        else:
            stamps.append(i * length / count)
    for i, row in enumerate(rows):
        end = stamps[i + 1] if i + 1 < count else length
        row.timestamp = round(stamps[i], 3)
        row.duration = round(max(0.0, end - stamps[i]), 2)


def _job_pictures(job: GenerationJob) -> list[StoryIllustration]:
    return list(StoryIllustration.objects.filter(job=job).order_by("display_order"))


def _positions(rows: list[StoryIllustration]) -> dict[str, int]:
    return {row.pk: row.word_index for row in rows if row.word_index is not None}


def _given(rows: list[StoryIllustration]) -> list[float] | None:
    return [row.timestamp for row in rows if row.timestamp_given] or None


def illustration_timestamps_recompute(*, story: Story) -> None:
    """Narration arrived (or changed): move each scene to its word's moment in the audio (the
    pictures whose request gave their timestamps keep them)."""
    for job in Job.objects.filter(story=story, kind=Job.Kind.ILLUSTRATIONS):
        rows = _job_pictures(job)
        if not rows or _given(rows):
            continue
        _place(story=story, rows=rows, positions=_positions(rows), explicit=None)
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
    3. Save each picture as it lands (main thread; a storage or database blip is retried there,
       the picture is paid for); a failed picture is retried once on its own.
    4. Settle: all drawn -> completed; some failed -> completed with a note (failed rows say why);
       all failed -> failed. Transient failures with attempts left re-raise for the task retry,
       which redraws only the missing pictures.
    """
    story = (
        Story.objects.select_related("hero", "hero__visual_profile").filter(pk=job.story_id).first()
    )
    if story is None:
        jobs.job_fail(job=job, message=_("The story was deleted."))
        return
    rows = _job_pictures(job)
    if not rows:
        jobs.job_complete(job=job)
        return
    hero = story.hero
    ctx = chain.CallContext(
        operation=Operation.IMAGE_GENERATION,
        user_id=job.user_id,
        story_id=story.pk,
        hero_id=hero.pk if hero else "",
        job_id=job.pk,
    )
    # The name the text calls the hero by (it may have been renamed or deleted since), and
    # every other name of the family: none of them reaches a vendor.
    hero_name = story.hero_name or (hero.name if hero else "")
    other_names = story_names_hidden(story=story)
    if any(not row.scene_description for row in rows):
        jobs.job_check(job=job)
        found = scenes.scenes_extract(
            ctx=ctx,
            content=story.content,
            count=len(rows),
            hero_name=hero_name,
            language=story.language,
            other_names=other_names,
        )
        for row, scene in zip(rows, found, strict=True):
            row.scene_description = scene.description
            row.word_index = scene.word_index
        _place(story=story, rows=rows, positions=_positions(rows), explicit=_given(rows))
        StoryIllustration.objects.bulk_update(
            rows, ["scene_description", "word_index", "timestamp", "duration"]
        )
    jobs.job_progress(job=job, progress=15)
    # Stopped from outside while the scenes were found (consent withdrawn)? Then no drawing.
    jobs.job_check(job=job)

    todo = [row for row in rows if row.generation_status != StoryIllustration.Status.COMPLETED]
    profile = _profile_text(hero)
    reference = picture_read(key=hero.avatar_key) if hero is not None else None
    StoryIllustration.objects.filter(pk__in=[r.pk for r in todo]).update(
        generation_status=StoryIllustration.Status.GENERATING
    )
    pending: list = []
    transient: list[Exception] = []
    done = len(rows) - len(todo)

    work = job.ai_work
    before_draw = _draws_within(job=job, allowed=_drawings_left(job=job, pictures=len(todo)))

    def draw(row: StoryIllustration):
        return images.illustration_draw(
            ctx=ctx,
            profile=profile,
            scene=row.scene_description,
            hero_name=hero_name,
            other_names=other_names,
            reference=reference,
            pending=pending,
            quality=work.image_quality if work is not None else "",
            size=work.image_size if work is not None else "",
            before_draw=before_draw,
        )

    workers = max(1, min(settings.AI_IMAGE_CONCURRENCY, len(todo)))
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="images") as pool:
            # each picture in a copy of the caller's context, so its log lines keep the job's ids
            futures = {pool.submit(contextvars.copy_context().run, draw, row): row for row in todo}
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
                        StoryIllustration.objects.filter(pk=row.pk).update(
                            retry_count=row.retry_count
                        )
                        futures[pool.submit(contextvars.copy_context().run, draw, row)] = row
                        continue
                    if isinstance(exc, TransientProviderError):
                        transient.append(exc)
                    status = StoryIllustration.Status.FAILED
                    StoryIllustration.objects.filter(pk=row.pk).update(
                        generation_status=status,
                        error_message=_("This picture could not be drawn. Please try again later."),
                    )
                    continue
                chain.flush(pending)
                if not _picture_store(row=row, drawing=drawing):
                    continue
                done += 1
                jobs.job_progress(job=job, progress=15 + 85 * done // len(rows))
    finally:
        # Every drawing paid for is recorded, also when storing one failed: leaving the pool
        # waits for the drawings still running.
        chain.flush(pending)
    failed_count = len(rows) - done
    if transient and job.attempts < job.max_attempts:
        raise transient[0]
    if failed_count == len(rows):
        jobs.job_fail(
            job=job, message=_("The pictures could not be drawn. Please try again later.")
        )
    elif failed_count:
        jobs.job_complete(
            job=job,
            # The same in English; other languages agree the verb with the pictures that failed.
            message=ngettext(
                "%(failed)d of %(total)d pictures could not be drawn.",
                "%(failed)d of %(total)d pictures could not be drawn.",
                failed_count,
            )
            % {"failed": failed_count, "total": len(rows)},
        )
    else:
        jobs.job_complete(job=job)


def _drawings_left(*, job: GenerationJob, pictures: int) -> int:
    """What the job's reservation still covers: one drawing for each of its pictures and
    AI_IMAGE_REDRAWS more after moderation flags one, less what its earlier attempts paid for
    (a retry never draws anew what the same money already bought)."""
    work = job.ai_work
    if work is None:
        return pictures + settings.AI_IMAGE_REDRAWS
    paid = paid_calls(job_id=job.pk, operation=Operation.IMAGE_GENERATION, since=work.created_at)
    return max(0, work.units + settings.AI_IMAGE_REDRAWS - paid)


def _draws_within(*, job: GenerationJob, allowed: int):
    """Before each paid drawing (any thread): the job may go on (not stopped), and it draws at
    most `allowed` pictures, what its reservation covers. Past that a flagged picture fails
    instead of being drawn once more."""
    lock = threading.Lock()
    drawn = [0]

    def before_draw(variant: str) -> None:
        jobs.job_go_on(job=job)  # stopped meanwhile: no more pictures bought
        with lock:
            if drawn[0] >= allowed:
                raise ContentRefused(
                    "No redraw left for this job.", operation=Operation.IMAGE_GENERATION
                )
            drawn[0] += 1

    return before_draw


def _picture_store(*, row: StoryIllustration, drawing) -> bool:
    """Store a paid picture and mark its row drawn; a blip of storage or the database is retried
    here, not by redrawing. False when the row (or its story) was deleted or failed meanwhile."""
    key = with_retries(lambda: picture_save(category="illustration", content=drawing.image.image))
    # A picture failed meanwhile (its job stopped from outside) stays failed.
    stored = with_retries(
        lambda: StoryIllustration.objects.filter(
            pk=row.pk, generation_status=StoryIllustration.Status.GENERATING
        ).update(
            image_key=key,
            prompt=drawing.prompt,
            generation_id=drawing.image.generation_id,
            generation_status=StoryIllustration.Status.COMPLETED,
            error_message="",
            updated_at=timezone.now(),
        )
    )
    if not stored:
        media_delete_on_commit(keys=[key])
    return bool(stored)


@transaction.atomic
def illustration_delete(*, illustration: StoryIllustration) -> None:
    """Delete one illustration and close the gap: the rest keep their order, numbered 0..n-1."""
    story_id, key = illustration.story_id, illustration.image_key
    # Lock the story's illustrations so two deletions do not renumber over each other.
    remaining = list(
        StoryIllustration.objects.select_for_update()
        .filter(story_id=story_id)
        .exclude(pk=illustration.pk)
        .order_by("display_order", "created_at")
    )
    illustration.delete()
    for position, item in enumerate(remaining):
        if item.display_order != position:
            item.display_order = position
            item.save(update_fields=["display_order", "updated_at"])
    media_delete_on_commit(keys=[key])
