"""Paid files are never orphaned: the database learns each key before the bytes are written, the
records left by a crash are settled, and storage is listed against the database so that what
nothing references goes after the grace period, with its counts on the admin dashboard."""

import contextlib
import os
from datetime import timedelta

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import OperationalError, models
from django.utils import timezone

from media.models import PendingDeletion, PendingFile, ReconciliationRun
from media.reconcile import FILE_REFERENCES, media_pending_settle, media_reconcile
from stories.models import GenerationJob
from stories.services.jobs import failed_jobs_purge
from tests.helpers import saved_file
from tests.heroes.factories import HeroFactory
from tests.stories.factories import GenerationJobFactory

GRACE = 3600
OURS = {"accounts", "heroes", "stories", "media", "usage", "api"}


def later(settings, seconds: int = GRACE + 60):
    settings.MEDIA_RECONCILE_GRACE = GRACE
    return timezone.now() + timedelta(seconds=seconds)


def test_the_key_is_recorded_before_the_bytes_are_written(monkeypatch):
    def storage_down(*args, **kwargs):
        raise OperationalError("storage write failed")  # a crash mid-upload

    monkeypatch.setattr(default_storage, "save", storage_down)
    with contextlib.suppress(OperationalError):
        saved_file("avatar")

    record = PendingFile.objects.get()
    assert record.key.startswith("avatars/")


def test_a_paid_file_no_row_points_at_is_deleted_and_a_referenced_one_kept(
    settings, django_capture_on_commit_callbacks
):
    # an avatar paid for, whose hero update then failed (the request answered 503)
    orphan = saved_file("avatar")
    # and one the hero points at
    kept = saved_file("avatar")
    HeroFactory(avatar_key=kept)

    with django_capture_on_commit_callbacks(execute=True):
        finished, deleted = media_pending_settle(now=later(settings))

    assert (finished, deleted) == (1, 1)
    assert not default_storage.exists(orphan)
    assert default_storage.exists(kept)
    assert not PendingFile.objects.exists()
    assert not PendingDeletion.objects.exists()  # the deletion was confirmed


def test_records_are_left_alone_during_the_grace_period(settings):
    key = saved_file("illustration")

    assert media_pending_settle(now=later(settings, seconds=GRACE - 60)) == (0, 0)
    assert PendingFile.objects.filter(key=key).exists()
    assert default_storage.exists(key)


def test_a_file_only_a_deleted_job_pointed_at_goes_at_the_reconciliation(
    settings, django_capture_on_commit_callbacks
):
    key = saved_file("audio", "mp3")
    PendingFile.objects.all().delete()  # settled long ago: only the job pointed at the file
    job = GenerationJobFactory(status=GenerationJob.Status.FAILED, output_key=key)

    with django_capture_on_commit_callbacks(execute=True):
        before = media_reconcile(now=later(settings))
    assert before.deleted == 0 and before.referenced == 1  # the job still points at it
    assert default_storage.exists(key)

    GenerationJob.objects.filter(pk=job.pk).delete()  # by a path that forgot its files
    with django_capture_on_commit_callbacks(execute=True):
        run = media_reconcile(now=later(settings))

    assert (run.listed, run.referenced, run.deleted) == (1, 0, 1)
    assert not default_storage.exists(key)


def test_the_reconciliation_keeps_what_is_referenced_or_young_and_counts_it(
    settings, django_capture_on_commit_callbacks
):
    now = later(settings)
    referenced = saved_file("avatar")
    HeroFactory(avatar_key=referenced)
    orphan = saved_file("illustration")
    young = saved_file("audio", "mp3")
    PendingFile.objects.all().delete()
    future = now.timestamp() + 10
    os.utime(default_storage.path(young), (future, future))  # written just before the run

    with django_capture_on_commit_callbacks(execute=True):
        run = media_reconcile(now=now)

    assert (run.listed, run.referenced, run.young, run.deleted) == (3, 1, 1, 1)
    assert not default_storage.exists(orphan)
    assert default_storage.exists(referenced) and default_storage.exists(young)
    assert ReconciliationRun.objects.get().finished_at is not None


def test_the_admin_dashboard_shows_the_last_reconciliation(staff_browser, settings):
    ReconciliationRun.objects.create(
        finished_at=timezone.now(), listed=12, referenced=9, young=2, deleted=1
    )

    page = staff_browser.get("/admin/").content.decode()

    assert 'data-storage="listed">12<' in page
    assert 'data-storage="deleted">1<' in page
    assert staff_browser.get("/admin/media/pendingfile/").status_code == 200


def test_every_column_holding_a_file_key_is_a_reference_the_reconciliation_checks():
    listed = {(app, model, lookup.split("__")[0]) for app, model, lookup in FILE_REFERENCES}
    not_files = {("api", "IdempotencyRecord", "key")}  # an Idempotency-Key, not a file
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.CharField):
                continue
            if field.name == "key" or field.name.endswith("_key"):
                where = (model._meta.app_label, model.__name__, field.name)
                if where in not_files or model._meta.app_label not in OURS:
                    continue
                assert where in listed, f"{where} holds a file key the reconciliation ignores"


def test_the_reconciliation_lists_the_bucket_on_s3(
    s3_storage, settings, django_capture_on_commit_callbacks
):
    referenced = saved_file("avatar")
    HeroFactory(avatar_key=referenced)
    orphan = saved_file("avatar")
    PendingFile.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        run = media_reconcile(now=later(settings))

    assert (run.listed, run.referenced, run.deleted) == (2, 1, 1)
    assert not default_storage.exists(orphan)
    assert default_storage.exists(referenced)


def failed_narration(settings):
    """A narration saved (and its word timings kept) by a job that then failed, long ago."""
    from stories.models import NarrationTimings

    settings.RETENTION_FAILED_JOB_DAYS = 30
    key = saved_file("audio", "mp3")
    job = GenerationJobFactory(status=GenerationJob.Status.FAILED, output_key=key)
    NarrationTimings.objects.create(story=job.story, audio_key=key, source="estimated")
    PendingFile.objects.filter(key=key).delete()  # settled long ago
    GenerationJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(days=90))
    return job, key


def test_the_failed_job_purge_deletes_the_narration_its_job_made(
    settings, django_capture_on_commit_callbacks
):
    _, key = failed_narration(settings)
    kept_job, kept_key = failed_narration(settings)
    kept_job.story.audio_key = kept_key  # this story did come to point at its file
    kept_job.story.save(update_fields=["audio_key"])

    with django_capture_on_commit_callbacks(execute=True):
        assert failed_jobs_purge() == 2

    assert not default_storage.exists(key)
    assert default_storage.exists(kept_key)


def test_account_deletion_deletes_the_files_its_jobs_made(django_capture_on_commit_callbacks):
    from accounts.services import user_account_delete

    key = saved_file("audio", "mp3")
    job = GenerationJobFactory(status=GenerationJob.Status.FAILED, output_key=key)

    with django_capture_on_commit_callbacks(execute=True):
        user_account_delete(user=job.user)

    assert not default_storage.exists(key)
