"""Retention: failed jobs (their parameters and errors) are kept RETENTION_FAILED_JOB_DAYS."""

from datetime import timedelta

from django.utils import timezone

from media.services import media_write
from stories import tasks
from stories.models import GenerationJob, Story, StoryIllustration
from tests.conftest import S3_BUCKET
from tests.stories.factories import StoryFactory, StoryIllustrationFactory


def job(story, *, status: str, days_ago: int) -> GenerationJob:
    created = GenerationJob.objects.create(
        user=story.user,
        story=story,
        kind="illustrations",
        status=status,
        error_message="We could not finish this right now." if status == "failed" else "",
    )
    GenerationJob.objects.filter(pk=created.pk).update(
        updated_at=timezone.now() - timedelta(days=days_ago)
    )
    return created


def test_failed_jobs_older_than_the_limit_are_deleted_and_nothing_else(settings):
    # given a story with failed, completed and running jobs of several ages
    settings.RETENTION_FAILED_JOB_DAYS = 30
    story = StoryFactory()
    picture = StoryIllustrationFactory(story=story, generation_status="failed")
    old_failure = job(story, status="failed", days_ago=31)
    recent_failure = job(story, status="failed", days_ago=29)
    old_success = job(story, status="completed", days_ago=400)
    running = job(story, status="processing", days_ago=31)

    # when the daily beat job runs
    deleted = tasks.failed_jobs_purge_task()

    # then only the old failure is gone; the story and its pictures are untouched
    assert deleted == 1
    remaining = set(GenerationJob.objects.values_list("pk", flat=True))
    assert remaining == {recent_failure.pk, old_success.pk, running.pk}
    assert old_failure.pk not in remaining
    assert Story.objects.filter(pk=story.pk).exists()
    assert StoryIllustration.objects.filter(pk=picture.pk).exists()


def test_the_purge_removes_narration_pieces_no_run_will_reuse(
    settings, s3_storage, django_capture_on_commit_callbacks
):
    # given narration pieces kept under jobs of every state (their retries would reuse them)
    settings.RETENTION_FAILED_JOB_DAYS = 30
    story = StoryFactory()
    old_failure = job(story, status="failed", days_ago=31)
    recent_failure = job(story, status="failed", days_ago=1)  # staff may still re-queue it
    running = job(story, status="processing", days_ago=0)
    completed = job(story, status="completed", days_ago=0)  # storage was away at publication
    for owner in [old_failure, recent_failure, running, completed, "job_deleted_with_its_story"]:
        pk = getattr(owner, "pk", owner)
        for piece in ("a", "b"):
            media_write(
                key=f"narration-pieces/{pk}/{piece}.json", content=b"{}", content_type="text/json"
            )

    # when the daily beat job runs
    with django_capture_on_commit_callbacks(execute=True):
        tasks.failed_jobs_purge_task()

    # then only the pieces of the running job and of the failure staff may re-queue are left
    listed = s3_storage.list_objects_v2(Bucket=S3_BUCKET, Prefix="narration-pieces/")
    assert sorted(o["Key"] for o in listed.get("Contents", [])) == sorted(
        f"narration-pieces/{pk}/{piece}.json"
        for pk in (recent_failure.pk, running.pk)
        for piece in ("a", "b")
    )
