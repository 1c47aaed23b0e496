"""Thin Celery tasks: take a job id, hand it to jobs.job_run with the service that does the work.

Retry policy: a TransientProviderError (the provider chain is down after the SDK's own retries)
retries the task with exponential back-off and jitter; the job's own attempts counter
(GenerationJob.max_attempts, also used by the sweeper) bounds the total, so max_retries here is
only a backstop. Late acknowledgement and requeue-on-worker-loss are the settings' defaults.
"""

from datetime import timedelta

from celery import shared_task

from infinitestories.ai.errors import TransientProviderError

from .services import background, illustrations, jobs, narration

RETRY = {
    "autoretry_for": (TransientProviderError,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def audio_generate_task(job_id: str) -> None:
    jobs.job_run(job_id=job_id, work=lambda job: narration.audio_generate(job=job))


@shared_task(**RETRY)
def illustrations_generate_task(job_id: str) -> None:
    jobs.job_run(job_id=job_id, work=lambda job: illustrations.illustrations_generate(job=job))


@shared_task(**RETRY)
def story_write_task(job_id: str) -> None:
    jobs.job_run(job_id=job_id, work=lambda job: background.story_write(job=job))


@shared_task
def generation_jobs_sweep_task(stale_after_seconds: int | None = None) -> list[int]:
    stale_after = timedelta(seconds=stale_after_seconds) if stale_after_seconds else None
    return list(jobs.jobs_sweep(stale_after=stale_after))


@shared_task
def failed_jobs_purge_task() -> int:
    return jobs.failed_jobs_purge()


TASKS = {
    "audio": audio_generate_task,
    "illustrations": illustrations_generate_task,
    "story": story_write_task,
}
