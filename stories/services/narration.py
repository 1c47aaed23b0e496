"""Narration: queue a story's narration and make it (the audio task runs `audio_generate`)."""

import base64
import hashlib
import json
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from infinitestories.ai import chain, speech
from infinitestories.ai.base import Operation
from infinitestories.api.errors import ApplicationError
from infinitestories.faults import INFRASTRUCTURE_ERRORS, with_retries
from media.selectors import media_exists, media_folder_keys, media_read
from media.services import media_delete, media_delete_on_commit, media_save, media_write
from usage.services import AIWork, ai_work_abandon, ai_work_admit, ai_work_renew

from ..models import GenerationJob, NarrationTimings, Story
from . import jobs
from .illustrations import illustration_timestamps_recompute

logger = logging.getLogger(__name__)

Job = GenerationJob
# Paid narration pieces are kept here as they arrive, one file per piece, under the job and
# keyed by the vendor, voice and text they speak: a run again reuses them (until the job is
# published, or jobs.failed_jobs_purge finds no run will any more).
PIECES_FOLDER = jobs.NARRATION_PIECES
# A piece storage could not take waits this long in the shared cache for the job's next run.
PIECE_CACHE_SECONDS = 3600


def audio_request(
    *,
    user,
    story: Story,
    voice: str = "",
    priority: str = Job.Priority.NORMAL,
    work: AIWork | None = None,
) -> GenerationJob:
    """Queue narration of the story's current text (an active audio job in the same voice is
    reused; one in another voice is replaced, so one narration at a time is meant for the story).

    The work is admitted here (usage: limits, plan, ceilings), unless the caller admitted it
    already (`work`: story_create does so before writing the story); the job holds it until
    it ends.
    """
    voice = voice or settings.AI_DEFAULT_VOICE
    active = (
        Job.objects.active()
        .filter(story=story, kind=Job.Kind.AUDIO)
        .order_by("-created_at")
        .first()
    )
    if active is not None and active.voice == voice:
        if work is not None:
            ai_work_abandon(work=work)
        return active
    if work is None:
        work = ai_work_admit(
            user=user,
            operation=Operation.AUDIO_SYNTHESIS,
            characters=len(story.spoken_text),
            voice=voice,
            priority=priority,
        )
    if active is not None:
        # It stops before its next paid piece, and drops what it made.
        jobs.job_stop(job=active, message=_("Replaced by a narration in another voice."))
    return jobs.job_create(
        user=user, kind=Job.Kind.AUDIO, story=story, priority=priority, work=work, voice=voice
    )


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def audio_generate(*, job: GenerationJob) -> None:
    """Narrate the story (run by the audio task; safe to run again).

    1. Synthesise the story's current text in pieces within the vendor's limit, concurrently, and
       join them; the word timings come with it. Before each paid call the job checks it may go
       on (jobs.job_go_on), and each piece is kept in storage under the job as it arrives, so a
       run again (a storage or database outage, the time limit) buys only what is missing. A
       file already made for this very text by an earlier run is reused whole.
    2. Save the MP3 and its word timings, and remember its key and the text's hash on the job.
    3. In one transaction: point the story at the file (duration, voice, time), drop the old
       timings and schedule the old file's deletion after commit, recompute illustration
       timestamps (from the words' times), complete the job. But when the text changed while it
       was narrated (an edit arrived), drop this file instead: narrating the new text is new paid
       work, admitted like any narration (consent, limits, plan, ceilings; a refusal fails the
       job and leaves the narration stale), then back to 1.
    """
    voice = job.voice or settings.AI_DEFAULT_VOICE
    while True:
        story = Story.objects.filter(pk=job.story_id).first()
        if story is None:
            jobs.job_fail(job=job, message=_("The story was deleted."))
            return
        content_hash = _text_hash(story.spoken_text)
        key, duration = _narration_file(
            job=job, story=story, voice=voice, content_hash=content_hash
        )
        with transaction.atomic():
            story = Story.objects.select_for_update().filter(pk=story.pk).first()
            if story is None:  # deleted while we narrated (its job went with it): drop the file
                media_delete_on_commit(keys=[key, *_pieces_kept(job)])
                jobs.job_fail(job=job, message=_("The story was deleted."))
                return
            if not jobs.job_running(job=job, lock=True):
                # Stopped meanwhile (consent withdrawn, replaced): this narration is never used.
                NarrationTimings.objects.filter(story=story, audio_key=key).delete()
                media_delete_on_commit(keys=[key, *_pieces_kept(job)])
                jobs.job_fail(job=job, message="")
                return
            if _text_hash(story.spoken_text) == content_hash:
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
    _pieces_drop(job)
    jobs.job_complete(job=job)


def _edit_narration_admit(*, job: GenerationJob, story: Story, voice: str) -> bool:
    """The text was edited while it was narrated: its narration is a new paid narration, admitted
    like any other (usage.ai_work_renew). Admitted, the job buys under the new work (the old one
    ended); refused, the job fails with the refusal's message and the narration stays stale."""
    try:
        work = ai_work_renew(
            work=job.ai_work,
            characters=len(story.spoken_text),
            voice=voice,
            priority=job.priority,
        )
    except ApplicationError as refusal:
        jobs.job_fail(job=job, message=refusal.message)
        return False
    jobs.job_work_replace(job=job, work=work)
    return True


class _Pieces:
    """The job's hooks into narration (speech.narration_synthesize's `guard`): stop before a
    paid call when the job must stop, and keep each paid piece in storage as it arrives (any
    thread: storage only, no database)."""

    def __init__(self, job: GenerationJob):
        self.job = job

    def go_on(self) -> None:
        jobs.job_go_on(job=self.job)

    def _key(self, *, vendor: str, voice: str, text: str) -> str:
        name = _text_hash(f"{vendor}\n{voice}\n{text}")
        return f"{PIECES_FOLDER}/{self.job.pk}/{name}.json"

    def load(self, *, vendor: str, voice: str, text: str) -> dict | None:
        key = self._key(vendor=vendor, voice=voice, text=text)
        content = _cached_piece(key)
        if content is None:
            if not media_exists(key=key):
                return None
            content = media_read(key=key)
        kept = json.loads(content)
        return kept | {"audio": base64.b64decode(kept["audio"])}

    def keep(self, *, vendor: str, voice: str, text: str, piece: dict) -> None:
        """In storage; with storage away past the in-place retries, in the shared cache for
        PIECE_CACHE_SECONDS, so the run again still finds the piece it paid for."""
        key = self._key(vendor=vendor, voice=voice, text=text)
        content = json.dumps(piece | {"audio": base64.b64encode(piece["audio"]).decode()})
        try:
            with_retries(
                lambda: media_write(
                    key=key, content=content.encode(), content_type="application/json"
                )
            )
        except INFRASTRUCTURE_ERRORS as storage_away:
            try:
                cache.set(f"{PIECES_FOLDER}:{key}", content, timeout=PIECE_CACHE_SECONDS)
            except INFRASTRUCTURE_ERRORS:
                raise storage_away from None
            logger.warning("Narration piece kept in the cache, storage failed (%s)", storage_away)


def _cached_piece(key: str) -> str | None:
    try:
        return cache.get(f"{PIECES_FOLDER}:{key}")
    except INFRASTRUCTURE_ERRORS:
        return None


def _pieces_kept(job: GenerationJob) -> list[str]:
    return media_folder_keys(folder=f"{PIECES_FOLDER}/{job.pk}")


def _pieces_drop(job: GenerationJob) -> None:
    """Once the narration is published (after commit): its pieces are of no more use. A piece
    left behind (storage away) is only a cache; the failed jobs' purge takes it
    (jobs.failed_jobs_purge)."""

    def drop():
        for key in _pieces_kept(job):
            media_delete(key=key)

    transaction.on_commit(drop, robust=True)


def _narration_file(
    *, job: GenerationJob, story: Story, voice: str, content_hash: str
) -> tuple[str, float]:
    """The stored MP3 of the story's text and its duration: the job's earlier file when it
    narrates this very text, else a new narration (paid, its pieces kept as they arrive),
    stored with its word timings and recorded on the job."""
    key = job.output_key
    if key and job.text_hash == content_hash and media_exists(key=key):
        return key, job.output_duration
    jobs.job_check(job=job)
    ctx = chain.CallContext(
        operation=Operation.AUDIO_SYNTHESIS, user_id=job.user_id, story_id=story.pk, job_id=job.pk
    )
    narration = speech.narration_synthesize(
        ctx=ctx,
        text=story.spoken_text,
        voice=voice,
        language=story.language,
        on_piece=lambda done, total: jobs.job_progress(job=job, progress=10 + 80 * done // total),
        guard=_Pieces(job),
    )
    key = with_retries(
        lambda: media_save(
            category="audio", content=narration.audio, extension="mp3", content_type="audio/mpeg"
        )
    )
    with_retries(lambda: _timings_keep(story=story, key=key, narration=narration))
    with_retries(
        lambda: jobs.job_output_keep(
            job=job, key=key, duration=narration.duration, text_hash=content_hash
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
