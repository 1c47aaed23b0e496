"""Retention: failed jobs (their parameters and errors) are kept RETENTION_FAILED_JOB_DAYS."""

from datetime import timedelta

from django.utils import timezone

from stories import tasks
from stories.models import GenerationJob, Story, StoryIllustration
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
