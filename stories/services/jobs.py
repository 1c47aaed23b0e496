"""Generation jobs: the row, not the broker, is the source of truth for background work.

A task claims its job with a conditional update (queued -> processing), so a redelivered or
duplicated message finds nothing to do. While it works, a thread beats the job's heartbeat; the
sweeper (celery beat) re-queues a processing job whose heartbeat went stale (its worker died) and
fails one that ran out of attempts. Enqueueing always happens after the transaction commits.

The message a failed job keeps for the app is written in the family's language (its
preferredLanguage when the job ran): whatever raised it (a switch, consent, moderation, the
provider), it is put in words once, in the one language that reads it.
"""

import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from infinitestories.ai.base import Operation
from infinitestories.ai.errors import (
    FamilyTextFlagged,
    PermanentProviderError,
    TransientProviderError,
)
from infinitestories.api.errors import ApplicationError
from infinitestories.faults import INFRASTRUCTURE_ERRORS
from media.reconcile import keys_referenced
from media.selectors import media_folder_keys, media_subfolders
from media.services import media_delete_on_commit
from notifications.services import job_ended_notify
from usage.services import (
    AIWork,
    WorkStopped,
    ai_work_admit,
    ai_work_check,
    ai_work_end,
    ai_work_hand_over,
    ai_work_refusal,
    ai_work_start,
    ai_work_stop,
    ai_work_stopped,
    ai_works_end_unclaimed,
)

from ..models import GenerationJob, NarrationTimings, Story, StoryIllustration, StoryWriteRequest

logger = logging.getLogger(__name__)

Job = GenerationJob
# Rough durations for the ETA the app shows (PRD 12: audio ~45 s, illustrations ~2 min).
ESTIMATED_SECONDS = {Job.Kind.AUDIO: 60, Job.Kind.ILLUSTRATIONS: 120, Job.Kind.STORY: 60}
FAILED_MESSAGE = gettext_lazy(
    "We could not finish this right now. Please try again in a little while."
)
# The AI operation a job's work is admitted as (its switches, its cost reservation).
OPERATION = {
    Job.Kind.AUDIO: Operation.AUDIO_SYNTHESIS,
    Job.Kind.ILLUSTRATIONS: Operation.IMAGE_GENERATION,
    Job.Kind.STORY: Operation.STORY_GENERATION,
}
# What a job retries later instead of failing: the provider down, the time limit, and a fault of
# the infrastructure (Redis, the database, storage), none of which says the work is impossible.
RETRIED_LATER = (TransientProviderError, SoftTimeLimitExceeded, *INFRASTRUCTURE_ERRORS)
HEARTBEAT_LOST = "heartbeat lost"
# A narration's paid pieces are kept in storage under its job, NARRATION_PIECES/<job id>/, so a
# run again reuses them (stories.services.narration); failed_jobs_purge removes what is left.
NARRATION_PIECES = "narration-pieces"


def job_create(
    *,
    user,
    kind: str,
    story,
    work: AIWork,
    priority: str = Job.Priority.NORMAL,
    voice: str = "",
) -> GenerationJob:
    """Create a queued job holding its admitted AI work, and enqueue its task once the
    surrounding transaction commits."""
    job = Job.objects.create(
        user=user,
        kind=kind,
        story=story,
        priority=priority,
        ai_work=work,
        voice=voice,
        estimated_completion_at=timezone.now() + timedelta(seconds=ESTIMATED_SECONDS[kind]),
    )
    ai_work_hand_over(work=work)
    job_enqueue(job=job)
    return job


def job_enqueue(*, job: GenerationJob) -> None:
    """Send the job's task to the queue named by its priority (high, normal, low)."""
    from ..tasks import TASKS

    task = TASKS[job.kind]
    # robust: a broker hiccup after commit is logged, not turned into an error for a request whose
    # work is saved; the sweeper sends the message again (jobs_sweep).
    # job_id by name: the worker binds it to every log line of the task (infinitestories/celery.py)
    transaction.on_commit(
        lambda: task.apply_async(kwargs={"job_id": job.pk}, queue=job.priority), robust=True
    )


def job_claim(*, job_id: str) -> GenerationJob | None:
    """queued -> processing, counting the attempt; None if someone else has it or it is done.
    The attempt number fences this run: every later write of it names the attempt, so a run the
    sweeper replaced writes nothing."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.PROCESSING,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        started_at=now,
        updated_at=now,
    )
    if not claimed:
        return None
    return Job.objects.select_related("story", "user", "ai_work").get(pk=job_id)


def _mine(job: GenerationJob):
    """This run's job row: processing, and not claimed again since (the fence)."""
    return Job.objects.filter(pk=job.pk, status=Job.Status.PROCESSING, attempts=job.attempts)


def job_heartbeat(*, job_id: str, attempt: int | None = None) -> bool:
    rows = Job.objects.filter(pk=job_id, status=Job.Status.PROCESSING)
    if attempt is not None:
        rows = rows.filter(attempts=attempt)
    return bool(rows.update(heartbeat_at=timezone.now()))


def job_progress(*, job: GenerationJob, progress: int) -> None:
    job.progress = max(0, min(100, int(progress)))
    _mine(job).update(progress=job.progress, heartbeat_at=timezone.now(), updated_at=timezone.now())


def job_output_keep(*, job: GenerationJob, key: str, duration: float, text_hash: str) -> None:
    """Remember the narration file this run made (fenced: a replaced run records nothing)."""
    job.output_key, job.output_duration, job.text_hash = key, duration, text_hash
    Job.objects.filter(pk=job.pk, attempts=job.attempts).update(
        output_key=key, output_duration=duration, text_hash=text_hash
    )


def job_work_replace(*, job: GenerationJob, work: AIWork) -> None:
    """The job buys under new admitted work from now on (an edit narrated again)."""
    job.ai_work = work
    Job.objects.filter(pk=job.pk).update(ai_work=work)


def job_running(*, job: GenerationJob, lock: bool = False) -> bool:
    """Whether this run still has the job: nobody stopped it from outside meanwhile (consent
    withdrawn, replaced) and no newer run claimed it. `lock` holds the row to the end of the
    caller's transaction, so the answer stays true while the caller saves the job's work."""
    running = _mine(job)
    return (running.select_for_update() if lock else running).exists()


def job_go_on(*, job: GenerationJob) -> None:
    """Before each paid call, from any thread (no database): raise WorkStopped when this run
    must stop (its heartbeat could not be written in time, or the work was stopped)."""
    lost = getattr(job, "heartbeat_lost", None)
    if lost is not None and lost.is_set():
        raise WorkStopped(HEARTBEAT_LOST)
    if job.ai_work_id and ai_work_stopped(work_id=job.ai_work_id):
        raise WorkStopped("stopped")


def job_check(*, job: GenerationJob) -> None:
    """Between paid calls, in the job's own thread: job_go_on, and ask the database whether
    this run still has the job and the work may go on (consent, switches, block, stopped)."""
    job_go_on(job=job)
    if not job_running(job=job):
        raise WorkStopped("job stopped")
    if job.ai_work_id:
        ai_work_check(work=job.ai_work)


def job_complete(*, job: GenerationJob, message: str = "") -> None:
    """Complete this run's job; a job stopped from outside meanwhile stays as it was stopped."""
    now = timezone.now()
    completed = _mine(job).update(
        status=Job.Status.COMPLETED,
        progress=100,
        error_message=str(message)[:500],
        finished_at=now,
        heartbeat_at=now,
        updated_at=now,
    )
    if completed:
        job.status = Job.Status.COMPLETED
    _work_end(job=job)
    if completed:
        job_ended_notify(job=job)  # after commit, from a task of its own


def job_fail(*, job: GenerationJob, message: str, notify: bool = True) -> None:
    """Fail this run's job (or, not yet claimed, the waiting one); one already finished
    (stopped from outside meanwhile) keeps its own end and message. `notify` False: no push."""
    now = timezone.now()
    rows = Job.objects.filter(pk=job.pk)
    rows = rows.filter(
        Q(status=Job.Status.QUEUED) | Q(status=Job.Status.PROCESSING, attempts=job.attempts)
    )
    failed = rows.update(
        status=Job.Status.FAILED, error_message=str(message)[:500], finished_at=now, updated_at=now
    )
    if failed:
        job.status = Job.Status.FAILED
        _illustrations_settle(job=job, message=message)
    _work_end(job=job)
    if failed and notify:
        job_ended_notify(job=job)  # after commit, from a task of its own


def _work_end(*, job: GenerationJob) -> None:
    """This run is over: end the job's AI work, unless the job runs again (released for a retry,
    or claimed by a newer run), which holds it then."""
    if not job.ai_work_id:
        return
    row = Job.objects.filter(pk=job.pk).values("status", "attempts").first()
    if row is not None and (
        row["status"] == Job.Status.QUEUED
        or (row["status"] == Job.Status.PROCESSING and row["attempts"] != job.attempts)
    ):
        return
    ai_work_end(work=job.ai_work)
    _follow_ups_end(job=job)


def _follow_ups_end(*, job: GenerationJob) -> None:
    """A story written in the background is over (done, failed, stopped): the narration's and
    pictures' work it carried ends unless their jobs took it (they were made with the story)."""
    if job.kind != Job.Kind.STORY:
        return
    request = StoryWriteRequest.objects.filter(job_id=job.pk).first()
    if request is not None and request.follow_up_work:
        ai_works_end_unclaimed(work_ids=list(request.follow_up_work.values()))


def _illustrations_settle(*, job: GenerationJob, message: str) -> None:
    """A failed illustrations job leaves no picture pending or generating (never stuck)."""
    if job.kind != Job.Kind.ILLUSTRATIONS:
        return
    StoryIllustration.objects.filter(
        job_id=job.pk,
        generation_status__in=[
            StoryIllustration.Status.PENDING,
            StoryIllustration.Status.GENERATING,
        ],
    ).update(generation_status=StoryIllustration.Status.FAILED, error_message=str(message)[:500])


def job_stop(*, job: GenerationJob, message: str, deleting: bool = False) -> bool:
    """Stop a waiting or running job from outside (replaced, consent withdrawn, its story or
    account about to be deleted: `deleting`, the row is not failed then). Work that no worker
    has now ends here; running work stays reserved, flagged, until its worker stops before its
    next paid call and ends it. False if the job was not active."""
    with transaction.atomic():
        row = Job.objects.select_for_update().filter(pk=job.pk).first()
        if row is None or not row.is_active:
            return False
        running = row.status == Job.Status.PROCESSING
        if not deleting:
            now = timezone.now()
            Job.objects.filter(pk=row.pk).update(
                status=Job.Status.FAILED,
                error_message=str(message)[:500],
                finished_at=now,
                updated_at=now,
            )
            _illustrations_settle(job=row, message=message)
        job.status = Job.Status.FAILED
        if row.ai_work_id:
            ai_work_stop(work=row.ai_work, reason=str(message), running=running)
        if not running:
            _follow_ups_end(job=row)  # a running story's worker ends them when it stops
    return True


def generation_jobs_cancel(*, user, message: str) -> int:
    """Stop every job of the user still waiting or running (a parent withdrew consent), with
    `message` for the app; their pictures pending stop too. Returns how many."""
    cancelled = 0
    with translation.override(user.preferred_language):
        for job in Job.objects.active().filter(user=user):
            cancelled += job_stop(job=job, message=message)
    return cancelled


def generation_jobs_settle(*, user=None, story: Story | None = None) -> None:
    """Their jobs are about to be deleted with a story (`story`) or an account (`user`): stop
    the waiting or running ones (work no worker has ends now; a worker ends its own)."""
    active = Job.objects.active()
    for job in active.filter(story=story) if story is not None else active.filter(user=user):
        job_stop(job=job, message="deleted", deleting=True)


def job_release(*, job: GenerationJob, message: str) -> None:
    """processing -> queued, so the retry (or the sweeper) can claim it again."""
    _mine(job).update(
        status=Job.Status.QUEUED, error_message=str(message)[:500], updated_at=timezone.now()
    )


@contextmanager
def heartbeat(*, job: GenerationJob, every: float | None = None):
    """Beat the job's heartbeat from a thread while the body runs, fenced by the attempt.

    A beat that cannot be written (a database blip) is logged and the next one tries again on a
    fresh connection. When none could be written for half of AI_JOB_STALE_AFTER, or the row is
    no longer this run's (stopped, or claimed by a newer run), `job.heartbeat_lost` is set and
    the run stops before its next paid call (job_go_on): the sweeper never takes a live run for
    dead, and two runs never pay for the same work.
    """
    every = every or settings.AI_JOB_HEARTBEAT
    stop = threading.Event()
    lost = threading.Event()
    job.heartbeat_lost = lost
    give_up_after = settings.AI_JOB_STALE_AFTER / 2

    def beat():
        written = time.monotonic()
        try:
            while not stop.wait(every):
                try:
                    if not job_heartbeat(job_id=job.pk, attempt=job.attempts):
                        logger.warning("Job %s is no longer this run's: stopping", job.pk)
                        lost.set()
                        return
                    written = time.monotonic()
                except INFRASTRUCTURE_ERRORS as exc:
                    logger.warning(
                        "Job %s heartbeat not written (%s); next beat retries", job.pk, exc
                    )
                    connection.close()
                    if time.monotonic() - written >= give_up_after:
                        logger.warning("Job %s heartbeat lost: the run stops", job.pk)
                        lost.set()
                        return
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def job_run(*, job_id: str, work: Callable[[GenerationJob], None]) -> None:
    """What every generation task does: claim, start its AI work, work with a heartbeat, end.

    The work is started with usage.ai_work_start: staff may have switched AI or the feature off,
    blocked the account, or a parent withdrawn consent since the job was queued; the job fails
    at once with that message then. The work checks between paid calls (job_check, job_go_on)
    and stops before the next one when it was stopped from outside.

    Transient provider errors and faults of the infrastructure (Redis, the database, storage)
    release the job and re-raise for Celery's retry (with back-off and jitter) until the job runs
    out of attempts; the retry reuses what was already paid for (narration pieces, the narration
    file, the pictures stored). Permanent errors fail it with a message the app can show.
    Anything unexpected fails it too, and is re-raised so it is logged, never swallowed. Every
    log line of the run carries the job id.
    """
    with structlog.contextvars.bound_contextvars(job_id=job_id):
        job = job_claim(job_id=job_id)
        if job is None:
            logger.info("Job %s is gone, done or taken; nothing to do", job_id)
            return
        with translation.override(job.user.preferred_language):
            _job_run(job=job, work=work)


def _job_run(*, job: GenerationJob, work: Callable[[GenerationJob], None]) -> None:
    try:
        if job.ai_work_id:
            ai_work_start(work=job.ai_work)
        with heartbeat(job=job):
            work(job)
    except WorkStopped as stopped:
        if stopped.reason == HEARTBEAT_LOST:
            _heartbeat_lost(job=job)
            return
        logger.info("Job %s stopped from outside (%s)", job.pk, stopped.reason)
        if job_running(job=job):  # stopped by staff (a block, a switch): fails with the reason
            refusal = ai_work_refusal(work=job.ai_work) if job.ai_work_id else None
            job_fail(job=job, message=refusal.message if refusal is not None else FAILED_MESSAGE)
        else:  # stopped by the family or claimed again: it already ended as they asked
            _work_end(job=job)
    except RETRIED_LATER as exc:
        if job.attempts >= job.max_attempts:
            logger.warning("Job %s out of attempts: %s", job.pk, exc)
            job_fail(job=job, message=FAILED_MESSAGE)
            return
        logger.info("Job %s attempt %d failed transiently: %r", job.pk, job.attempts, exc)
        try:
            job_release(job=job, message=str(exc))
        except INFRASTRUCTURE_ERRORS:  # the database is still away: the sweeper re-queues it
            logger.warning("Job %s not released; the sweeper will re-queue it", job.pk)
        raise TransientProviderError(str(exc)) from exc
    except (FamilyTextFlagged, ApplicationError) as exc:
        job_fail(job=job, message=exc.message)
    except PermanentProviderError as exc:
        logger.warning("Job %s failed permanently: %s", job.pk, exc)
        job_fail(job=job, message=FAILED_MESSAGE)
    except Exception:
        logger.exception("Job %s failed unexpectedly", job.pk)
        job_fail(job=job, message=FAILED_MESSAGE)
        raise
    else:
        logger.info("Job %s (%s) %s on attempt %d", job.pk, job.kind, job.status, job.attempts)


def _heartbeat_lost(*, job: GenerationJob) -> None:
    """The run stopped because its heartbeat was not written in time, or its row is no longer
    this run's. Stopped from outside or claimed again: end or leave the work as _work_end says.
    Still ours (the database is back): release it for the retry. The database still away:
    leave the job to the sweeper (re-queued once its heartbeat is stale; the next run reuses
    what this one stored). Released, it raises for Celery's retry."""
    try:
        if job_running(job=job):
            job_release(job=job, message="Heartbeat not written in time.")
            logger.warning("Job %s released: its heartbeat could not be written", job.pk)
            raise TransientProviderError("Heartbeat not written in time.")
        logger.info("Job %s stopped: no longer this run's", job.pk)
        _work_end(job=job)
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("Job %s stopped: its heartbeat could not be written (%s)", job.pk, exc)


def jobs_sweep(*, stale_after: timedelta | None = None) -> tuple[int, int]:
    """Re-queue processing jobs whose heartbeat went stale; fail those out of attempts; send
    again the message of a job queued long ago and never started (lost by the broker, or never
    sent because the broker was down at commit).

    Returns (requeued, failed). Safe to run anywhere, any number of times: each change is a
    conditional update on the row's current state, and a duplicate message finds its job
    already claimed.
    """
    if stale_after is None:
        stale_after = timedelta(seconds=settings.AI_JOB_STALE_AFTER)
    cutoff = timezone.now() - stale_after
    stale = (
        Job.objects.filter(status=Job.Status.PROCESSING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True))
        .select_related("user", "ai_work")
    )
    requeued = failed = 0
    for job in stale:
        with transaction.atomic():
            if job.attempts >= job.max_attempts:
                with translation.override(job.user.preferred_language):
                    message = str(FAILED_MESSAGE)
                changed = Job.objects.filter(
                    pk=job.pk, status=Job.Status.PROCESSING, heartbeat_at=job.heartbeat_at
                ).update(
                    status=Job.Status.FAILED,
                    error_message=message,
                    finished_at=timezone.now(),
                    updated_at=timezone.now(),
                )
                if changed:
                    _illustrations_settle(job=job, message=message)
                    if job.ai_work_id:
                        ai_work_end(work=job.ai_work)
                    _follow_ups_end(job=job)
                    job.status = Job.Status.FAILED
                    job_ended_notify(job=job)
                    failed += 1
                continue
            changed = Job.objects.filter(
                pk=job.pk, status=Job.Status.PROCESSING, heartbeat_at=job.heartbeat_at
            ).update(
                status=Job.Status.QUEUED,
                error_message="Restarted after the worker stopped responding.",
                updated_at=timezone.now(),
            )
            if changed:
                logger.warning(
                    "Job %s heartbeat stale since %s: re-queued", job.pk, job.heartbeat_at
                )
                job_enqueue(job=job)
                requeued += 1
    unsent_cutoff = timezone.now() - timedelta(seconds=settings.AI_JOB_QUEUED_RESEND_AFTER)
    for job in Job.objects.filter(status=Job.Status.QUEUED, updated_at__lt=unsent_cutoff):
        with transaction.atomic():
            touched = Job.objects.filter(
                pk=job.pk, status=Job.Status.QUEUED, updated_at=job.updated_at
            ).update(updated_at=timezone.now())
            if touched:
                logger.warning("Job %s queued since %s: message sent again", job.pk, job.updated_at)
                job_enqueue(job=job)
                requeued += 1
    return requeued, failed


def failed_jobs_purge() -> int:
    """Delete failed jobs older than RETENTION_FAILED_JOB_DAYS, with their parameters and error
    (a daily beat job): past that, the app no longer shows them and staff no longer re-queue
    them. Completed jobs stay with their story (their scene positions time the pictures to the
    narration) and go with it."""
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_FAILED_JOB_DAYS)
    with transaction.atomic():
        stale = Job.objects.filter(status=Job.Status.FAILED, updated_at__lt=cutoff)
        # The files the jobs made (a narration saved before the job failed) go with them,
        # unless a row still points at one (media.reconcile.keys_referenced, after the delete).
        made = {key for key in stale.values_list("output_key", flat=True) if key}
        # Word timings kept next to such a file, when its story never came to point at it.
        NarrationTimings.objects.filter(audio_key__in=made).exclude(
            story__audio_key=F("audio_key")
        ).delete()
        deleted, _ = stale.delete()
        media_delete_on_commit(keys=made - keys_referenced(made))
        _narration_pieces_purge(cutoff=cutoff)
    return deleted


def _narration_pieces_purge(*, cutoff) -> None:
    """The kept narration pieces no run will reuse any more: those of every job that is gone
    (purged, or deleted with its story or account), completed (left behind when storage was
    away at publication), or failed before `cutoff`. A job waiting or running, or failed since
    (staff may re-queue it, and its retry reuses them), keeps its pieces."""
    folders = set(media_subfolders(folder=NARRATION_PIECES))
    if not folders:
        return
    reusable = Job.objects.filter(pk__in=folders).filter(
        Q(status__in=Job.ACTIVE) | Q(status=Job.Status.FAILED, updated_at__gte=cutoff)
    )
    for folder in sorted(folders - set(reusable.values_list("pk", flat=True))):
        media_delete_on_commit(keys=media_folder_keys(folder=f"{NARRATION_PIECES}/{folder}"))


def job_requeue(*, job: GenerationJob) -> str:
    """Give a failed job a fresh set of attempts (staff, from the admin), its work admitted anew
    like any (consent, switches, block, plan, limits, ceilings, budget): a refusal leaves it
    failed and costs nothing. Returns "" when re-queued, else why not (for the admin)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job.pk).first()
        if job is None or job.status != Job.Status.FAILED:
            return "Only failed jobs are re-queued."
        story = Story.objects.filter(pk=job.story_id).first()
        if story is None:
            return "Its story was deleted."
        if job.kind == Job.Kind.AUDIO:
            piece = {"characters": len(story.spoken_text), "voice": job.voice}
        else:
            todo = job.illustrations.exclude(generation_status=StoryIllustration.Status.COMPLETED)
            others = story.illustrations.exclude(job=job).exclude(
                generation_status=StoryIllustration.Status.FAILED
            )
            piece = {"units": max(1, todo.count()), "pictures_on_story": others.count()}
        try:
            work = ai_work_admit(
                user=job.user, operation=OPERATION[job.kind], priority=job.priority, **piece
            )
        except ApplicationError as refusal:
            return str(refusal.message)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.QUEUED,
            attempts=0,
            error_message="",
            ai_work=work,
            updated_at=timezone.now(),
        )
        ai_work_hand_over(work=work)
        job.illustrations.filter(generation_status=StoryIllustration.Status.FAILED).update(
            generation_status=StoryIllustration.Status.PENDING, error_message=""
        )
        job_enqueue(job=job)
    return ""
