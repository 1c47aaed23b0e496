"""Narration: queue a story's narration and make it (the audio task runs `audio_generate`)."""

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from infinitestories.ai import chain, speech
from infinitestories.ai.base import Operation
from media.selectors import media_exists
from media.services import media_delete, media_delete_on_commit, media_save
from usage.services import Admission, ai_work_admit, ai_work_release

from ..models import GenerationJob, NarrationTimings, Story
from . import jobs
from .illustrations import illustration_timestamps_recompute

Job = GenerationJob


def _active_job(*, story: Story) -> GenerationJob | None:
    return (
        Job.objects.filter(
            story=story, kind=Job.Kind.AUDIO, status__in=[Job.Status.QUEUED, Job.Status.PROCESSING]
        )
        .order_by("-created_at")
        .first()
    )


def audio_request(
    *,
    user,
    story: Story,
    voice: str = "",
    priority: str = Job.Priority.NORMAL,
    admission: Admission | None = None,
) -> GenerationJob:
    """Queue narration of the story's current text (an active audio job is reused).

    The work is admitted here (usage.ai_work_admit: limits, plan, ceilings), unless the caller
    admitted it already (`admission`, story_create does so before writing the story); the job
    carries its cost reservation, settled when the job ends.
    """
    voice = voice or settings.AI_DEFAULT_VOICE
    active = _active_job(story=story)
    if active is not None and active.params.get("voice") == voice:
        if admission is not None:
            ai_work_release(admission=admission)
        return active
    if admission is None:
        admission = ai_work_admit(
            user=user,
            operation=Operation.AUDIO_SYNTHESIS,
            characters=len(story.title) + len(story.content),
            voice=voice,
            priority=priority,
        )
    return jobs.job_create(
        user=user,
        kind=Job.Kind.AUDIO,
        story=story,
        priority=priority,
        params={"voice": voice, "reservation_id": admission.reservation_id},
    )


def audio_generate(*, job: GenerationJob) -> None:
    """Narrate the story (run by the audio task; safe to run again).

    1. Synthesise the text in pieces within the vendor's limit, concurrently, and join them; the
       word timings come with it.
    2. Save the MP3 and its word timings, and remember its key on the job, so a re-run after a
       crash reuses both.
    3. In one transaction: point the story at the new file (duration, voice, time), drop the old
       timings and schedule the old file's deletion after commit, recompute illustration
       timestamps (from the words' times), complete the job.
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
            operation=Operation.AUDIO_SYNTHESIS,
            user_id=job.user_id,
            story_id=story.pk,
            job_id=job.pk,
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
        _timings_keep(story=story, key=key, narration=narration)
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
        NarrationTimings.objects.filter(story=story).exclude(audio_key=key).delete()
        story.audio_key, story.audio_generated, story.audio_duration = key, True, duration
        illustration_timestamps_recompute(story=story)
        jobs.job_complete(job=job)


def _timings_keep(*, story: Story, key: str, narration: speech.Narration) -> None:
    """Store the new file's word timings next to it (the story's current ones only once the
    story points at the file); nothing for a story deleted meanwhile."""
    with transaction.atomic():
        if Story.objects.select_for_update().filter(pk=story.pk).exists():
            NarrationTimings.objects.create(
                story=story, audio_key=key, source=narration.timings_source, words=narration.words
            )
