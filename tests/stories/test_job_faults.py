"""Jobs under faults of the infrastructure: a blip of the database, storage or Redis after paid AI
work retries the job and keeps what was bought; a failed heartbeat write never makes the sweeper
take a live job for dead."""

import errno
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import OperationalError, connection
from django.utils import timezone

from stories import tasks
from stories.models import GenerationJob, Story, StoryIllustration
from stories.services import illustrations, jobs, narration
from tests.fakes.redis_faults import redis_down  # noqa: F401
from tests.helpers import wait_for
from tests.stories.factories import GenerationJobFactory, StoryFactory
from usage.models import UsageMetric


@contextmanager
def database_blip(statement: str):
    """The first SQL statement starting with `statement` fails as a dropped connection does."""
    left = [1]

    def blip(execute, sql, params, many, context):
        if left[0] and sql.startswith(statement):
            left[0] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(blip):
        yield


@pytest.fixture
def storage_fails_once(monkeypatch):
    """The first save under `folder` fails as a full or unreachable disk does."""
    original = FileSystemStorage._save

    def arm(folder: str) -> None:
        left = [1]

        def flaky(self, name, content):
            if left[0] and name.startswith(folder):
                left[0] -= 1
                raise OSError(errno.EIO, "storage unavailable")
            return original(self, name, content)

        monkeypatch.setattr(FileSystemStorage, "_save", flaky)

    return arm


def paid(operation: str) -> int:
    return UsageMetric.objects.filter(operation=operation, success=True).count()


def test_narration_paid_before_a_database_blip_is_reused(retries_run_in_process):
    # given narration queued for a story
    story = StoryFactory()
    job = narration.audio_request(user=story.user, story=story)

    # when the database drops the write that attaches the finished narration
    with database_blip('UPDATE "stories_story" SET "audio_key"'):
        tasks.audio_generate_task.apply(args=[job.pk], throw=False)

    # then the job was retried and used the narration it had bought
    job.refresh_from_db()
    story.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 2)
    assert story.audio_generated and story.audio_key == job.output_key
    assert paid("audio_synthesis") == 1


@pytest.mark.django_db(transaction=True)  # autocommit, as in a worker: the write can be retried
def test_a_usage_row_lost_to_a_blip_is_written_again_and_the_narration_kept(
    retries_run_in_process,
):
    job = GenerationJobFactory()  # queued, not sent (autocommit would run it at once)

    with database_blip('INSERT INTO "usage_usagemetric"'):
        tasks.audio_generate_task.apply(args=[job.pk], throw=False)

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 1)
    assert paid("audio_synthesis") == 1


def test_narration_survives_storage_failing_once_after_it_was_bought(
    storage_fails_once, retries_run_in_process
):
    story = StoryFactory()
    job = narration.audio_request(user=story.user, story=story)
    storage_fails_once("audio/")

    tasks.audio_generate_task.apply(args=[job.pk], throw=False)

    job.refresh_from_db()
    story.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 1)
    assert story.audio_generated and FileSystemStorage().exists(story.audio_key)
    assert paid("audio_synthesis") == 1


def test_pieces_paid_while_storage_is_away_are_not_bought_again(
    monkeypatch, retries_run_in_process
):
    # given a story of three pieces, and storage refusing every write until the job is put back
    # for its retry (longer than the in-place retries)
    content = " ".join(f"Sentence number {i} tells of a calm and happy star." for i in range(200))
    story = StoryFactory(content=content)
    job = narration.audio_request(user=story.user, story=story)
    storage_away = [True]
    original_save, original_release = FileSystemStorage._save, jobs.job_release

    def refused(self, name, content):
        if storage_away[0]:
            raise OSError(errno.EIO, "storage unavailable")
        return original_save(self, name, content)

    def back_after_release(**kwargs):
        storage_away[0] = False
        return original_release(**kwargs)

    monkeypatch.setattr(FileSystemStorage, "_save", refused)
    monkeypatch.setattr(jobs, "job_release", back_after_release)

    tasks.audio_generate_task.apply(args=[job.pk], throw=False)

    # then the retry narrated with the pieces the first run paid for: each bought once
    job.refresh_from_db()
    story.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 2)
    assert story.audio_generated and FileSystemStorage().exists(story.audio_key)
    assert paid("audio_synthesis") == 3


def test_narration_goes_on_with_redis_down(redis_down, retries_run_in_process):  # noqa: F811
    # given a story long enough for three pieces of narration, and Redis down
    content = " ".join(f"Sentence number {i} tells of a calm and happy star." for i in range(200))
    story = StoryFactory(content=content)
    # (queued before Redis went down: admitting new work needs Redis and answers 503 without it)
    job = GenerationJobFactory(story=story, kind="audio", voice="nova")

    tasks.audio_generate_task.apply(args=[job.pk], throw=False)

    # then the cool-down flags it cannot read do not stop it: each piece bought once
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 1)
    assert paid("audio_synthesis") == 3
    assert not UsageMetric.objects.filter(success=False).exists()


def test_pictures_are_kept_when_storage_fails_once(
    storage_fails_once, django_capture_on_commit_callbacks
):
    story = StoryFactory(content="One calm night.\n\nTwo calm stars.\n\nThree calm dreams.")
    storage_fails_once("illustrations/")

    with django_capture_on_commit_callbacks(execute=True):
        job = illustrations.illustrations_request(user=story.user, story=story, count=3)

    job.refresh_from_db()
    rows = StoryIllustration.objects.filter(story=story)
    assert (job.status, job.attempts) == ("completed", 1)
    assert [row.generation_status for row in rows] == ["completed"] * 3
    assert all(FileSystemStorage().exists(row.image_key) for row in rows)
    assert paid("image_generation") == 3


def test_pictures_drawn_are_metered_when_storing_one_fails_for_good(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    # given pictures drawn one after another, and a picture the storage can never take
    settings.AI_IMAGE_CONCURRENCY = 1
    story = StoryFactory(content="One calm night.\n\nTwo calm stars.\n\nThree calm dreams.")

    def unstorable(**kwargs):
        raise ValueError("the vendor's picture cannot be stored")

    monkeypatch.setattr(illustrations, "picture_save", unstorable)

    # when the job stores its first picture while the other two are still drawn
    with django_capture_on_commit_callbacks(execute=True):
        job = illustrations.illustrations_request(user=story.user, story=story, count=3)

    # then every drawing the vendor was paid for has its usage row
    job.refresh_from_db()
    assert job.status == "failed"
    assert paid("image_generation") == 3


# --- the heartbeat --------------------------------------------------------------------------


def _heartbeat_connection(since) -> int | None:
    """The PostgreSQL backend of a heartbeat thread started since `since` (its last query beat a
    job; the statement's text shows placeholders, not the job's id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND datname = current_database() AND query LIKE %s AND backend_start >= %s",
            ['%"heartbeat_at"%', since],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@pytest.mark.django_db(transaction=True)
@pytest.mark.servers  # cuts a real PostgreSQL connection (pg_terminate_backend)
def test_a_job_outlives_the_stale_threshold_despite_a_failed_heartbeat_write(settings):
    # given a job beating every 50 ms, taken for dead when silent for 500 ms
    settings.AI_JOB_HEARTBEAT = 0.05
    stale_after = timedelta(milliseconds=500)
    job = GenerationJobFactory(story=StoryFactory())
    seen = {}
    begun = timezone.now()

    def work(job: GenerationJob) -> None:
        # one heartbeat write fails: the database drops the heartbeat's connection
        pid = wait_for(lambda: _heartbeat_connection(begun), timeout=10, message="a heartbeat")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        # the work runs on, three times past the stale threshold
        wait_for(
            lambda: (
                timezone.now() - job.started_at > 3 * stale_after
                and GenerationJob.objects.get(pk=job.pk).heartbeat_at
                > timezone.now() - stale_after / 2
            ),
            timeout=10,
            message="the job to run past the threshold with a fresh heartbeat",
        )
        seen["sweep"] = jobs.jobs_sweep(stale_after=stale_after)
        jobs.job_complete(job=job)

    jobs.job_run(job_id=job.pk, work=work)

    # then the sweeper left it alone, and it finished on its first attempt
    assert seen["sweep"] == (0, 0)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 1)
    assert Story.objects.count() == 1
