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
from notifications.services import job_ended_notify
from usage.services import ai_consent_check, ai_work_may_run, ai_work_settle

from ..models import GenerationJob, Story, StoryIllustration

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


def job_create(
    *,
    user,
    kind: str,
    story,
    priority: str = Job.Priority.NORMAL,
    params: dict | None = None,
) -> GenerationJob:
    """Create a queued job and enqueue its task once the surrounding transaction commits."""
    job = Job.objects.create(
        user=user,
        kind=kind,
        story=story,
        priority=priority,
        params=params or {},
        estimated_completion_at=timezone.now() + timedelta(seconds=ESTIMATED_SECONDS[kind]),
    )
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
    """queued -> processing, counting the attempt; None if someone else has it or it is done."""
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
    return Job.objects.select_related("story", "user").get(pk=job_id)


def job_heartbeat(*, job_id: str) -> bool:
    return bool(
        Job.objects.filter(pk=job_id, status=Job.Status.PROCESSING).update(
            heartbeat_at=timezone.now()
        )
    )


def job_progress(*, job: GenerationJob, progress: int) -> None:
    job.progress = max(0, min(100, int(progress)))
    Job.objects.filter(pk=job.pk, status=Job.Status.PROCESSING).update(
        progress=job.progress, heartbeat_at=timezone.now(), updated_at=timezone.now()
    )


def job_params_update(*, job: GenerationJob, **values) -> None:
    job.params = {**job.params, **values}
    Job.objects.filter(pk=job.pk).update(params=job.params)


def _job_settle(*, job: GenerationJob) -> None:
    """The job's work is over: release the cost it reserved when it was admitted."""
    ai_work_settle(reservation_id=job.params.get("reservation_id", ""))


def job_running(*, job: GenerationJob, lock: bool = False) -> bool:
    """Whether the job still runs: nobody stopped it from outside meanwhile (a parent withdrew
    consent, which fails the family's jobs). `lock` holds the row to the end of the caller's
    transaction, so the answer stays true while the caller saves the job's work."""
    running = Job.objects.filter(pk=job.pk, status=Job.Status.PROCESSING)
    return (running.select_for_update() if lock else running).exists()


def job_complete(*, job: GenerationJob, message: str = "") -> None:
    """Complete a running job; a job stopped from outside meanwhile stays as it was stopped."""
    now = timezone.now()
    completed = Job.objects.filter(pk=job.pk, status=Job.Status.PROCESSING).update(
        status=Job.Status.COMPLETED,
        progress=100,
        error_message=str(message)[:500],
        finished_at=now,
        heartbeat_at=now,
        updated_at=now,
    )
    if completed:
        job.status = Job.Status.COMPLETED
    _job_settle(job=job)
    if completed:
        job_ended_notify(job=job)  # after commit, from a task of its own


def job_fail(*, job: GenerationJob, message: str, notify: bool = True) -> None:
    """Fail a job that waits or runs; one already finished (stopped from outside meanwhile)
    keeps its own end and message. `notify` False: no push (the family replaced the work)."""
    now = timezone.now()
    failed = Job.objects.filter(
        pk=job.pk, status__in=[Job.Status.QUEUED, Job.Status.PROCESSING]
    ).update(
        status=Job.Status.FAILED, error_message=str(message)[:500], finished_at=now, updated_at=now
    )
    job.status = Job.Status.FAILED
    _illustrations_settle(job=job, message=message)
    _job_settle(job=job)
    if failed and notify:
        job_ended_notify(job=job)  # after commit, from a task of its own


def _illustrations_settle(*, job: GenerationJob, message: str) -> None:
    """A failed illustrations job leaves no picture pending or generating (never stuck)."""
    if job.kind != Job.Kind.ILLUSTRATIONS:
        return
    StoryIllustration.objects.filter(
        pk__in=job.params.get("illustration_ids") or [],
        generation_status__in=[
            StoryIllustration.Status.PENDING,
            StoryIllustration.Status.GENERATING,
        ],
    ).update(generation_status=StoryIllustration.Status.FAILED, error_message=str(message)[:500])


def generation_jobs_cancel(*, user, message: str) -> int:
    """Fail every job of the user still waiting or running (a parent withdrew consent), with
    `message` for the app; their pictures pending stop too. Returns how many."""
    active = Job.objects.filter(user=user, status__in=[Job.Status.QUEUED, Job.Status.PROCESSING])
    cancelled = 0
    with translation.override(user.preferred_language):
        for job in active:
            job_fail(job=job, message=message)
            cancelled += 1
    return cancelled


def generation_jobs_settle(*, user=None, story: Story | None = None) -> None:
    """Their jobs are about to be deleted with a story (`story`) or an account (`user`): release
    the cost the waiting or running ones reserved, which a deleted job would never settle (it
    would count against the family's ceilings and the budget for hours)."""
    active = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.PROCESSING])
    for job in active.filter(story=story) if story is not None else active.filter(user=user):
        _job_settle(job=job)


def job_release(*, job: GenerationJob, message: str) -> None:
    """processing -> queued, so the retry (or the sweeper) can claim it again."""
    Job.objects.filter(pk=job.pk, status=Job.Status.PROCESSING).update(
        status=Job.Status.QUEUED, error_message=str(message)[:500], updated_at=timezone.now()
    )


@contextmanager
def heartbeat(*, job_id: str, every: float | None = None):
    """Beat the job's heartbeat from a thread while the body runs.

    A beat that cannot be written (a database blip) is logged and the next one tries again on a
    fresh connection: the thread never dies of it, so the sweeper never takes a live job for dead.
    """
    every = every or settings.AI_JOB_HEARTBEAT
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(every):
                try:
                    job_heartbeat(job_id=job_id)
                except INFRASTRUCTURE_ERRORS as exc:
                    logger.warning(
                        "Job %s heartbeat not written (%s); next beat retries", job_id, exc
                    )
                    connection.close()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def job_run(*, job_id: str, work: Callable[[GenerationJob], None]) -> None:
    """What every generation task does: claim, work with a heartbeat, settle the job.

    A job whose AI (or feature) staff switched off after it was queued fails at once with the
    switch's message; so does one whose parent withdrew consent. Settling a job (completed or
    failed) releases its cost reservation.

    Transient provider errors and faults of the infrastructure (Redis, the database, storage)
    release the job and re-raise for Celery's retry (with back-off and jitter) until the job runs
    out of attempts; the retry reuses what was already paid for (the narration file, the pictures
    stored). Permanent errors fail it with a message the app can show. Anything unexpected fails
    it too, and is re-raised so it is logged, never swallowed. Every log line of the run carries
    the job id.
    """
    with structlog.contextvars.bound_contextvars(job_id=job_id):
        job = job_claim(job_id=job_id)
        if job is None:
            logger.info("Job %s is gone, done or taken; nothing to do", job_id)
            return
        with translation.override(job.user.preferred_language):
            _job_run(job=job, work=work)


def _job_run(*, job: GenerationJob, work: Callable[[GenerationJob], None]) -> None:
    refusal = ai_work_may_run(operation=OPERATION[job.kind], user=job.user)
    if refusal is not None:  # staff switched AI or this feature off, or blocked the account
        job_fail(job=job, message=refusal.message)
        return
    try:
        # A parent may have withdrawn consent since the job was queued: nothing more goes out.
        ai_consent_check(user=job.user)
        with heartbeat(job_id=job.pk):
            work(job)
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


def jobs_sweep(*, stale_after: timedelta | None = None) -> tuple[int, int]:
    """Re-queue processing jobs whose heartbeat went stale; fail those out of attempts; send
    again the message of a job queued long ago and never started (lost by the broker, or never
    sent because the broker was down at commit).

    Returns (requeued, failed). Safe to run anywhere, any number of times: each change is a
    conditional update on the row's current state, and a duplicate message finds its job
    already claimed.
    """
    stale_after = stale_after or timedelta(seconds=settings.AI_JOB_STALE_AFTER)
    cutoff = timezone.now() - stale_after
    stale = (
        Job.objects.filter(status=Job.Status.PROCESSING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True))
        .select_related("user")
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
                    _job_settle(job=job)
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
    deleted, _ = Job.objects.filter(status=Job.Status.FAILED, updated_at__lt=cutoff).delete()
    return deleted


def job_requeue(*, job: GenerationJob) -> bool:
    """Give a failed job a fresh set of attempts (staff, from the admin). False if not failed."""
    with transaction.atomic():
        changed = Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).update(
            status=Job.Status.QUEUED, attempts=0, error_message="", updated_at=timezone.now()
        )
        if changed:
            job_enqueue(job=job)
    return bool(changed)
