"""The jobs layer tells the family's phones when a job ends (stories.services.jobs calls
notifications.services.job_ended_notify), after the commit, whichever way the job ended."""

from datetime import timedelta

from django.utils import timezone

from stories.services import jobs
from tests.fakes.fixtures import apns, fake_apns  # noqa: F401
from tests.notifications.factories import DeviceFactory
from tests.stories.factories import GenerationJobFactory, StoryFactory

TOKEN = "ab" * 32


def test_a_job_the_sweeper_fails_is_pushed_as_failed(
    apns,  # noqa: F811
    user,
    django_capture_on_commit_callbacks,
):
    DeviceFactory(user=user, token=TOKEN)
    story = StoryFactory(user=user)
    spent = GenerationJobFactory(
        user=user,
        story=story,
        kind="illustrations",
        status="processing",
        attempts=5,
        heartbeat_at=timezone.now() - timedelta(minutes=10),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.jobs_sweep(stale_after=timedelta(minutes=2)) == (0, 1)

    [push] = apns.pushes(TOKEN)
    assert push["body"]["jobId"] == spent.pk
    assert (push["body"]["kind"], push["body"]["status"]) == ("illustrations", "failed")
    assert push["body"]["aps"]["alert"]["body"] == "The pictures could not be drawn."


def test_no_push_before_the_jobs_transaction_commits(
    apns,  # noqa: F811
    user,
    django_capture_on_commit_callbacks,
):
    DeviceFactory(user=user, token=TOKEN)
    job = GenerationJobFactory(user=user, story=StoryFactory(user=user), status="processing")

    with django_capture_on_commit_callbacks(execute=False) as pending:
        jobs.job_complete(job=job)

    assert apns.pushes() == []
    assert len(pending) == 1
    pending[0]()
    assert [p["body"]["status"] for p in apns.pushes(TOKEN)] == ["completed"]


def test_a_job_stopped_already_is_not_pushed_again(
    apns,  # noqa: F811
    user,
    django_capture_on_commit_callbacks,
):
    DeviceFactory(user=user, token=TOKEN)
    job = GenerationJobFactory(user=user, story=StoryFactory(user=user), status="failed")

    with django_capture_on_commit_callbacks(execute=True):
        jobs.job_fail(job=job, message="again")
        jobs.job_complete(job=job)

    assert apns.pushes() == []
