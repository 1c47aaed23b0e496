"""Pictures moderation flags are drawn again within the job's reservation, a bounded number of
times (issue 17 f)."""

from stories.models import StoryIllustration
from stories.services import illustrations
from tests.fakes.fixtures import fake_openai, openai_provider  # noqa: F401
from tests.stories.factories import StoryFactory
from usage.models import CostReservation, UsageMetric


def test_flagged_pictures_are_redrawn_only_as_far_as_the_reservation_covers(
    openai_provider,  # noqa: F811
    settings,
    django_capture_on_commit_callbacks,
):
    # given a moderation that flags every picture, and one redraw allowed a job
    settings.AI_IMAGE_CONCURRENCY = 1
    settings.AI_IMAGE_REDRAWS = 1
    openai_provider.flag_images(times=None)
    story = StoryFactory()

    with django_capture_on_commit_callbacks(execute=True):
        job = illustrations.illustrations_request(user=story.user, story=story, count=3)

    # then three pictures and one redraw were bought, not three variants of each
    assert len(openai_provider.calls("/v1/images/generations")) == 3 + 1
    job.refresh_from_db()
    assert job.status == "failed"
    assert set(
        StoryIllustration.objects.filter(story=story).values_list("generation_status", flat=True)
    ) == {"failed"}
    # and what they cost stayed within what the job reserved
    work = CostReservation.objects.get(pk=job.ai_work_id)
    spent = sum(r.cost for r in UsageMetric.objects.filter(operation="image_generation"))
    assert 0 < spent <= work.amount
    assert work.state == "settled"


def test_a_retry_of_flagged_pictures_draws_only_what_the_reservation_still_covers(
    openai_provider,  # noqa: F811
    settings,
    django_capture_on_commit_callbacks,
    retries_run_in_process,
):
    # given a moderation that flags every picture, three redraws allowed a job, and a vendor that
    # fails the first four calls (every picture once, then the first picture's retry: the job is
    # retried after paying for flagged pictures)
    settings.AI_IMAGE_CONCURRENCY = 1
    settings.AI_IMAGE_REDRAWS = 3
    openai_provider.flag_images(times=None)
    openai_provider.fail("/v1/images/generations", times=4, status=500)
    story = StoryFactory()

    with django_capture_on_commit_callbacks(execute=True):
        job = illustrations.illustrations_request(user=story.user, story=story, count=3)

    # then the second attempt drew only what the first left of the reservation: three
    # pictures and three redraws paid in all, never a fresh allowance per attempt
    job.refresh_from_db()
    assert job.attempts == 2 and job.status == "failed"
    paid = UsageMetric.objects.filter(operation="image_generation", success=True)
    assert paid.count() == 3 + 3
    work = CostReservation.objects.get(pk=job.ai_work_id)
    assert 0 < sum(r.cost for r in paid) <= work.amount
