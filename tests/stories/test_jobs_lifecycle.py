"""A job's paid AI work from start to end: it stops before the next paid piece once it was
replaced, withdrawn or deleted; pieces paid for are kept and a run again never buys them twice;
a run whose heartbeat cannot be written stops itself; staff re-queue admits the work anew."""

import errno
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.storage import FileSystemStorage
from django.db import OperationalError
from django.test import Client

from accounts.services import WITHDRAWN_MESSAGE, consent_withdraw
from infinitestories.ai import speech
from infinitestories.ai.local_provider import LocalProvider
from stories import tasks
from stories.models import GenerationJob, Story
from stories.services import jobs, narration, stories
from tests.accounts.factories import UserFactory
from tests.fakes.fixtures import fake_openai, openai_provider  # noqa: F401
from tests.stories.factories import StoryFactory
from tests.usage.factories import put_on_plan
from usage.models import CostReservation, Price, SpendCounter
from usage.services import ai_work_start

Job = GenerationJob
GLOBAL = "global"
# Several pieces for any speech vendor (each takes at most 4096 characters).
LONG = " ".join(f"Sentence number {i} tells of a calm and happy star." for i in range(250))


def pieces_of(story) -> int:
    return len(speech.split_text(Story.objects.get(pk=story.pk).spoken_text))


def spoken_texts(monkeypatch) -> list[str]:
    """The texts the offline voice is asked to speak (each one a paid call), as they come."""
    spoken = []
    speak = LocalProvider.speak

    def speak_and_note(self, **kwargs):
        spoken.append(kwargs["text"])
        return speak(self, **kwargs)

    monkeypatch.setattr(LocalProvider, "speak", speak_and_note)
    return spoken


def after_first_piece(monkeypatch, action) -> threading.Event:
    """Run `action()` in the job's own thread once the first piece has landed (the family acting
    mid-narration); the next piece's paid call waits until it has happened."""
    acted = threading.Event()
    real_progress = jobs.job_progress
    go_on = narration._Pieces.go_on
    calls = []

    def progress_then_act(*, job, progress):
        real_progress(job=job, progress=progress)
        if not acted.is_set():
            action()
            acted.set()

    def go_on_after_action(self):
        calls.append(1)
        if len(calls) > 1:
            assert acted.wait(10)
        go_on(self)

    monkeypatch.setattr(jobs, "job_progress", progress_then_act)
    monkeypatch.setattr(narration._Pieces, "go_on", go_on_after_action)
    return acted


def held(user_id) -> Decimal:
    return sum(
        (c.reserved for c in SpendCounter.objects.filter(scope=user_id, period="month")),
        Decimal(0),
    )


@pytest.fixture
def one_piece_at_a_time(settings):
    settings.AI_TTS_CONCURRENCY = 1


# --- Stopped from outside: nothing more is bought ------------------------------------------------


@pytest.mark.parametrize("stop", ["withdraw", "replace", "delete_story"])
def test_a_narration_stopped_mid_way_buys_no_further_piece_and_ends_its_work_once(
    monkeypatch, django_capture_on_commit_callbacks, one_piece_at_a_time, stop
):
    # given a long narration (three paid pieces) under way
    story = StoryFactory(content=LONG)
    job = narration.audio_request(user=story.user, story=story, voice="nova")
    spoken = spoken_texts(monkeypatch)
    actions = {
        "withdraw": lambda: consent_withdraw(user=story.user),
        "replace": lambda: narration.audio_request(user=story.user, story=story, voice="echo"),
        "delete_story": lambda: stories.story_delete(story=Story.objects.get(pk=story.pk)),
    }
    # when the family acts once the first piece is bought
    after_first_piece(monkeypatch, actions[stop])
    with django_capture_on_commit_callbacks(execute=False):
        tasks.audio_generate_task.apply(args=[job.pk])

    # then no further piece was sent to the vendor, the child's name included
    assert len(spoken) == 1
    # and the job's work ended exactly once, when its worker stopped
    work = CostReservation.objects.get(pk=job.ai_work_id)
    assert work.state == "settled" and work.ended_at is not None
    assert work.stop_reason
    if stop == "withdraw":
        assert Job.objects.get(pk=job.pk).error_message == str(WITHDRAWN_MESSAGE)
    if stop == "delete_story":
        assert not Job.objects.filter(pk=job.pk).exists()


def test_a_stopped_job_holds_its_money_until_its_worker_has_stopped(
    monkeypatch, settings, django_capture_on_commit_callbacks, one_piece_at_a_time
):
    # given narration priced at OpenAI's list price, running
    settings.AI_TTS_PROVIDER_CHAIN = ["openai"]
    story = StoryFactory(content=LONG)
    job = narration.audio_request(user=story.user, story=story)
    reserved = CostReservation.objects.get(pk=job.ai_work_id).amount
    assert reserved > 0
    claimed = jobs.job_claim(job_id=job.pk)
    ai_work_start(work=claimed.ai_work)

    # when a parent withdraws consent while the worker is between two pieces
    consent_withdraw(user=story.user)

    # then the money stays held (the worker may still be paying for a piece) ...
    assert held(story.user_id) == reserved
    assert CostReservation.objects.get(pk=job.ai_work_id).state == "running"
    # ... until the worker stops, before its next paid call, and ends it
    job = Job.objects.select_related("ai_work").get(pk=job.pk)
    with pytest.raises(jobs.WorkStopped):
        jobs.job_go_on(job=job)
    jobs._work_end(job=job)
    assert held(story.user_id) == 0


# --- Paid pieces are kept: a run again buys only what is missing ----------------------------------


def test_a_storage_outage_after_the_narration_reuses_every_paid_piece(
    monkeypatch, one_piece_at_a_time
):
    story = StoryFactory(content=LONG)
    job = narration.audio_request(user=story.user, story=story)
    spoken = spoken_texts(monkeypatch)
    # storage refuses the finished narration longer than the in-place retries (three tries)
    original = FileSystemStorage._save
    refusals = [3]

    def audio_down(self, name, content):
        if refusals[0] and name.startswith("audio/"):
            refusals[0] -= 1
            raise OSError(errno.EIO, "storage unavailable")
        return original(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", audio_down)

    # when the job runs, fails to store its narration, and runs again (Celery's retry)
    tasks.audio_generate_task.apply(args=[job.pk], throw=False)

    # then the narration is delivered by the second run and no piece was bought twice
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 2)
    assert Story.objects.get(pk=story.pk).audio_generated
    assert len(spoken) == len(set(spoken)) == pieces_of(story) > 1


def test_a_narration_longer_than_the_time_limit_is_finished_by_the_next_run_without_rebuying(
    monkeypatch, one_piece_at_a_time
):
    story = StoryFactory(content=LONG)
    job = narration.audio_request(user=story.user, story=story)
    spoken = spoken_texts(monkeypatch)
    # the soft time limit strikes after two pieces
    real_progress = jobs.job_progress
    strike = [2]

    def progress_until_the_limit(*, job, progress):
        real_progress(job=job, progress=progress)
        if strike[0] and len(spoken) >= strike[0]:
            strike[0] = 0
            raise SoftTimeLimitExceeded()

    monkeypatch.setattr(jobs, "job_progress", progress_until_the_limit)

    # when the job runs, and again after the time limit (Celery's retry)
    tasks.audio_generate_task.apply(args=[job.pk], throw=False)

    # then the second run finished it, buying only the pieces the first had not
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 2)
    assert len(spoken) == len(set(spoken)) == pieces_of(story)


# --- A run whose heartbeat cannot be written stops itself -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_heartbeat_fails_stops_and_the_next_run_pays_for_nothing_twice(
    monkeypatch, settings, one_piece_at_a_time
):
    # given heartbeats that cannot be written once the first piece is bought (the sweeper's
    # threshold passes meanwhile)
    settings.AI_JOB_HEARTBEAT = 0.01
    # a run stops after a second of failed heartbeat writes (half of this), and rides out a
    # shorter blip of its own (SQLite's "table is locked" under load)
    settings.AI_JOB_STALE_AFTER = 2
    story = StoryFactory(content=LONG)
    with monkeypatch.context() as queued_only:  # committed at once here: not run yet
        queued_only.setattr(jobs, "job_enqueue", lambda job: None)
        job = narration.audio_request(user=story.user, story=story)
    real_heartbeat = jobs.job_heartbeat
    beats_fail = [False]

    def heartbeat(**kwargs):
        if beats_fail[0]:
            raise OperationalError("could not write")
        return real_heartbeat(**kwargs)

    monkeypatch.setattr(jobs, "job_heartbeat", heartbeat)
    # each paid piece notes the state of the job when it was bought, and what it spoke
    bought = []
    speak = LocalProvider.speak

    def speak_and_note(self, **kwargs):
        row = Job.objects.filter(pk=job.pk).values_list("status", "attempts").get()
        bought.append((*row, kwargs["text"]))
        beats_fail[0] = len(bought) == 1
        return speak(self, **kwargs)

    monkeypatch.setattr(LocalProvider, "speak", speak_and_note)
    # the first run's second piece waits until the sweeper has seen the job stale
    swept = threading.Event()
    go_on = narration._Pieces.go_on

    def go_on_after_the_sweep(self):
        if bought:
            assert swept.wait(10)
        go_on(self)

    monkeypatch.setattr(narration._Pieces, "go_on", go_on_after_the_sweep)
    real_progress = jobs.job_progress

    def progress_then_sweep(*, job, progress):
        real_progress(job=job, progress=progress)
        if swept.is_set():
            return
        # the first run's heartbeat thread gives up; the database is back; the sweeper runs and
        # re-queues the job, whose message a second worker takes at once
        while any(t.name.startswith("heartbeat-") for t in threading.enumerate()):
            threading.Event().wait(0.01)
        beats_fail[0] = False
        swept.set()
        jobs.jobs_sweep(stale_after=timedelta(0))

    monkeypatch.setattr(jobs, "job_progress", progress_then_sweep)

    # when the job runs
    tasks.audio_generate_task.apply(args=[job.pk])

    # then the second run finished it; no piece was bought by a run that no longer had the job,
    # and each piece was bought once
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 2)
    assert [(status, attempt) for status, attempt, _ in bought] == [("processing", 1)] + [
        ("processing", 2)
    ] * (pieces_of(story) - 1)
    assert len({text for _, _, text in bought}) == len(bought)
    assert CostReservation.objects.get(pk=job.ai_work_id).state == "settled"


# --- Staff re-queue admits the work anew ----------------------------------------------------------


def test_staff_requeue_past_the_users_ceiling_is_refused_and_costs_nothing(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.AI_TTS_PROVIDER_CHAIN = ["openai"]
    story = StoryFactory(content=LONG)
    failed = narration.audio_request(user=story.user, story=story)
    jobs.job_fail(job=failed, message="down")
    assert CostReservation.objects.get(pk=failed.ai_work_id).ended_at is not None
    # the family's plan allows less than the narration costs today
    put_on_plan(story.user, code="thrifty", daily_cost_ceiling=Decimal("0.001"))
    sent = []
    monkeypatch.setattr(tasks.audio_generate_task, "apply_async", lambda **kw: sent.append(kw))
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    works_before = CostReservation.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        page = staff.post(
            "/admin/stories/generationjob/",
            {"action": "requeue", "_selected_action": [failed.pk]},
            follow=True,
        )

    failed.refresh_from_db()
    assert failed.status == "failed"
    assert sent == []
    assert CostReservation.objects.count() == works_before
    assert held(story.user_id) == 0
    shown = [str(message) for message in page.context["messages"]]
    assert f"Job {failed.pk} not re-queued: You have reached your plan's AI allowance" in shown[0]


def test_staff_requeue_within_the_ceiling_holds_new_work(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.AI_TTS_PROVIDER_CHAIN = ["openai"]
    story = StoryFactory()
    failed = narration.audio_request(user=story.user, story=story)
    jobs.job_fail(job=failed, message="down")
    old_work = failed.ai_work_id
    monkeypatch.setattr(tasks.audio_generate_task, "apply_async", lambda **kw: None)

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.job_requeue(job=failed) == ""

    failed.refresh_from_db()
    assert failed.status == "queued" and failed.ai_work_id != old_work
    work = CostReservation.objects.get(pk=failed.ai_work_id)
    assert (work.state, work.lease_until) == ("admitted", None)
    assert held(story.user_id) == work.amount > 0


# --- Ended from outside and by its worker at the same moment: exactly once ------------------------


# Two threads writing at once: PostgreSQL's row locks (SQLite's shared in-memory test database
# locks whole tables), so left out of the embedded-default run.
@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("family_does", ["delete_story", "delete_account", "withdraw"])
@pytest.mark.parametrize("worker_does", ["complete", "notice_the_stop"])
def test_a_job_ended_by_its_worker_and_the_family_at_once_ends_its_work_exactly_once(
    monkeypatch, settings, family_does, worker_does
):
    from usage.services import ai_work_admit, ai_work_end

    settings.AI_TTS_PROVIDER_CHAIN = ["openai"]  # priced: a double release would show
    # (the seeded price table is emptied between tests that commit)
    Price.objects.get_or_create(
        vendor="openai",
        model=settings.AI_TTS_MODEL,
        unit="character",
        effective_from=date(2020, 1, 1),
        defaults={"usd_per_million": Decimal("15")},
    )
    monkeypatch.setattr(jobs, "job_enqueue", lambda job: None)  # the worker here is the test
    for _ in range(4):
        # another family's narration is held meanwhile: what is held in all must come back to it
        bystander = ai_work_admit(user=UserFactory(), operation="audio_synthesis")
        story = StoryFactory()
        job = narration.audio_request(user=story.user, story=story)
        claimed = jobs.job_claim(job_id=job.pk)
        ai_work_start(work=claimed.ai_work)
        race(worker_does=worker_does, family_does=family_does, job=claimed, story=story)

        work = CostReservation.objects.get(pk=claimed.ai_work_id)
        assert work.state == "settled" and work.ended_at is not None
        assert held(GLOBAL) == bystander.amount > 0
        ai_work_end(work=bystander)
        assert held(GLOBAL) == 0


def race(*, worker_does: str, family_does: str, job, story) -> None:
    """The worker ends its run (completes, or notices the stop between two pieces) while the
    family deletes the story or the account or withdraws consent, both released at once."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from accounts.services import user_account_delete

    both = threading.Barrier(2)

    def worker():
        try:
            both.wait()
            if worker_does == "complete":
                jobs.job_complete(job=job)
                return
            try:
                jobs.job_check(job=job)
                jobs.job_complete(job=job)
            except Exception:  # stopped (or refused): its run ends
                jobs._work_end(job=job)
        finally:
            connection.close()

    def family():
        try:
            both.wait()
            if family_does == "delete_story":
                stories.story_delete(story=Story.objects.get(pk=story.pk))
            elif family_does == "delete_account":
                user_account_delete(user=story.user)
            else:
                consent_withdraw(user=story.user)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(worker), pool.submit(family)]:
            done.result()
