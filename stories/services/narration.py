"""Narration: queue a story's narration and make it (the audio task runs `audio_generate`)."""

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from infinitestories.ai import chain, speech
from infinitestories.ai.base import Operation
from infinitestories.api.errors import ApplicationError
from infinitestories.faults import with_retries
from media.selectors import media_exists
from media.services import media_delete_on_commit, media_save
from usage.services import Admission, ai_work_admit, ai_work_release, ai_work_settle

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
    """Queue narration of the story's current text (an active audio job in the same voice is
    reused; one in another voice is replaced, so one narration at a time is meant for the story).

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
    if active is not None:
        # It stops here or drops its file when it ends (audio_generate checks it still runs).
        jobs.job_fail(
            job=active, message=_("Replaced by a narration in another voice."), notify=False
        )
    return jobs.job_create(
        user=user,
        kind=Job.Kind.AUDIO,
        story=story,
        priority=priority,
        params={"voice": voice, "reservation_id": admission.reservation_id},
    )


def _narration_text(story: Story) -> str:
    return f"{story.title}.\n\n{story.content}"


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def audio_generate(*, job: GenerationJob) -> None:
    """Narrate the story (run by the audio task; safe to run again).

    1. Synthesise the story's current text in pieces within the vendor's limit, concurrently, and
       join them; the word timings come with it (a file already made for this very text by an
       earlier run is reused instead).
    2. Save the MP3 and its word timings, and remember its key and the text's hash on the job, so
       a re-run after a crash or a fault reuses the paid narration; a blip of storage or the
       database is retried here.
    3. In one transaction: point the story at the file (duration, voice, time), drop the old
       timings and schedule the old file's deletion after commit, recompute illustration
       timestamps (from the words' times), complete the job. But when the text changed while it
       was narrated (an edit arrived), drop this file instead: narrating the new text is new paid
       work, admitted like any narration (consent, limits, plan, ceilings; a refusal fails the
       job and leaves the narration stale), then back to 1.
    """
    voice = job.params.get("voice") or settings.AI_DEFAULT_VOICE
    while True:
        story = Story.objects.filter(pk=job.story_id).first()
        if story is None:
            jobs.job_fail(job=job, message=_("The story was deleted."))
            return
        content_hash = _text_hash(_narration_text(story))
        key, duration = _narration_file(
            job=job, story=story, voice=voice, content_hash=content_hash
        )
        with transaction.atomic():
            story = Story.objects.select_for_update().filter(pk=story.pk).first()
            if story is None:  # deleted while we narrated (its job went with it): drop the file
                media_delete_on_commit(keys=[key])
                return
            if not jobs.job_running(job=job, lock=True):
                # Stopped meanwhile (consent withdrawn): this narration is never used.
                NarrationTimings.objects.filter(story=story, audio_key=key).delete()
                media_delete_on_commit(keys=[key])
                return
            if _text_hash(_narration_text(story)) == content_hash:
                _narration_publish(job=job, story=story, key=key, duration=duration, voice=voice)
                return
            # Edited meanwhile: this file tells the old text; the new text is narrated next.
            NarrationTimings.objects.filter(story=story, audio_key=key).delete()
            media_delete_on_commit(keys=[key])
        if not _edit_narration_admit(job=job, story=story, voice=voice):
            return


def _narration_publish(
    *, job: GenerationJob, story: Story, key: str, duration: float, voice: str
) -> None:
    """Point the story at its new narration and complete the job (inside the caller's
    transaction, the story row locked)."""
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


def _edit_narration_admit(*, job: GenerationJob, story: Story, voice: str) -> bool:
    """The text was edited while it was narrated: its narration is a new paid narration, admitted
    like any other. Admitted, the job carries the new reservation (the old one is settled);
    refused, the job fails with the refusal's message and the story's narration stays stale."""
    try:
        admission = ai_work_admit(
            user=job.user,
            operation=Operation.AUDIO_SYNTHESIS,
            characters=len(story.title) + len(story.content),
            voice=voice,
            priority=job.priority,
        )
    except ApplicationError as refusal:
        jobs.job_fail(job=job, message=refusal.message)
        return False
    ai_work_settle(reservation_id=job.params.get("reservation_id", ""))
    jobs.job_params_update(job=job, reservation_id=admission.reservation_id)
    return True


def _narration_file(
    *, job: GenerationJob, story: Story, voice: str, content_hash: str
) -> tuple[str, float]:
    """The stored MP3 of the story's text and its duration: the job's earlier file when it
    narrates this very text, else a new narration (paid), stored with its word timings and
    recorded on the job."""
    key = job.params.get("output_key")
    if key and job.params.get("content_hash") == content_hash and media_exists(key=key):
        return key, job.params["duration"]
    ctx = chain.CallContext(
        operation=Operation.AUDIO_SYNTHESIS, user_id=job.user_id, story_id=story.pk, job_id=job.pk
    )
    narration = speech.narration_synthesize(
        ctx=ctx,
        text=_narration_text(story),
        voice=voice,
        on_piece=lambda done, total: jobs.job_progress(job=job, progress=10 + 80 * done // total),
    )
    key = with_retries(
        lambda: media_save(
            category="audio", content=narration.audio, extension="mp3", content_type="audio/mpeg"
        )
    )
    with_retries(lambda: _timings_keep(story=story, key=key, narration=narration))
    with_retries(
        lambda: jobs.job_params_update(
            job=job, output_key=key, duration=narration.duration, content_hash=content_hash
        )
    )
    return key, narration.duration


def _timings_keep(*, story: Story, key: str, narration: speech.Narration) -> None:
    """Store the new file's word timings next to it (the story's current ones only once the
    story points at the file); nothing for a story deleted meanwhile."""
    with transaction.atomic():
        if Story.objects.select_for_update().filter(pk=story.pk).exists():
            NarrationTimings.objects.get_or_create(
                story=story,
                audio_key=key,
                defaults={"source": narration.timings_source, "words": narration.words},
            )
