"""The push task: sent after the ended work's commit, on its own, so no push ever holds or fails
the work. Its tries are inside (per device, short), so Celery never retries it: a retry would
push again to the devices that already got it."""

from celery import shared_task

from . import services


@shared_task(soft_time_limit=60, time_limit=90)
def work_ended_push_task(
    user_id, kind: str, status: str, job_id: str = "", story_id: str = "", hero_id: str = ""
) -> int:
    return services.work_ended_push(
        user_id=user_id,
        kind=kind,
        status=status,
        job_id=job_id,
        story_id=story_id,
        hero_id=hero_id,
    )
