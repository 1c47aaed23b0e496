from datetime import timedelta

import pytest
from django.utils import timezone

from infinitestories.ai import speech
from infinitestories.ai.errors import TransientProviderError
from stories import tasks
from stories.models import GenerationJob, NarrationTimings, StoryIllustration
from stories.services import illustrations, jobs, narration
from tests.accounts.factories import UserFactory
from tests.helpers import client_for
from tests.stories.factories import GenerationJobFactory, StoryFactory
from tests.usage.factories import stories_used
from usage.models import UsageMetric

Job = GenerationJob


def test_a_claimed_job_cannot_be_claimed_again():
    job = GenerationJobFactory()
    assert jobs.job_claim(job_id=job.pk) is not None
    assert jobs.job_claim(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("processing", 1)


def test_a_redelivered_task_finds_the_work_done(django_capture_on_commit_callbacks):
    story = StoryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        job = narration.audio_request(user=story.user, story=story)
    story.refresh_from_db()
    key = story.audio_key
    calls = UsageMetric.objects.count()

    tasks.audio_generate_task.apply(args=[job.pk])  # the broker hands it out again

    story.refresh_from_db()
    assert story.audio_key == key
    assert UsageMetric.objects.count() == calls
    job.refresh_from_db()
    assert job.attempts == 1


def test_sweeper_requeues_a_stale_job_and_fails_one_out_of_attempts(
    django_capture_on_commit_callbacks,
):
    story = StoryFactory()
    stale = GenerationJobFactory(
        story=story,
        status="processing",
        attempts=1,
        heartbeat_at=timezone.now() - timedelta(minutes=10),
    )
    spent = GenerationJobFactory(
        story=story,
        status="processing",
        attempts=5,
        heartbeat_at=timezone.now() - timedelta(minutes=10),
    )
    alive = GenerationJobFactory(
        story=story, status="processing", attempts=1, heartbeat_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.jobs_sweep(stale_after=timedelta(minutes=2)) == (1, 1)

    stale.refresh_from_db()
    spent.refresh_from_db()
    alive.refresh_from_db()
    # re-queued and, the task being eager here, run to completion by a second attempt
    assert (stale.status, stale.attempts) == ("completed", 2)
    assert spent.status == "failed" and spent.error_message
    assert alive.status == "processing"
    story.refresh_from_db()
    assert story.audio_generated


def test_transient_errors_retry_then_succeed(monkeypatch, django_capture_on_commit_callbacks):
    from infinitestories.ai.local_provider import LocalProvider

    original = LocalProvider.speak
    failures = {"left": 2}

    def flaky(self, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise TransientProviderError("503", provider="local")
        return original(self, **kwargs)

    monkeypatch.setattr(LocalProvider, "speak", flaky)
    story = StoryFactory()
    job = narration.audio_request(user=story.user, story=story)  # on_commit not run: no enqueue

    # Eager apply runs Celery's retries in-process (without their countdown) when it does not
    # propagate the Retry it raises.
    monkeypatch.setitem(tasks.audio_generate_task.app.conf, "task_eager_propagates", False)
    tasks.audio_generate_task.apply(args=[job.pk], throw=False)

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 3)
    rows = UsageMetric.objects.filter(operation="audio_synthesis")
    assert rows.filter(success=False).count() == 2
    assert rows.filter(success=True).count() == 1


def test_permanent_errors_fail_the_job_with_a_message(
    monkeypatch, django_capture_on_commit_callbacks
):
    from infinitestories.ai.errors import PermanentProviderError
    from infinitestories.ai.local_provider import LocalProvider

    def broken(self, **kwargs):
        raise PermanentProviderError("400 bad voice", provider="local")

    monkeypatch.setattr(LocalProvider, "speak", broken)
    story = StoryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        job = narration.audio_request(user=story.user, story=story)
    job.refresh_from_db()
    story.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", 1)
    assert job.error_message == jobs.FAILED_MESSAGE
    assert not story.audio_generated and story.audio_key == ""


def test_long_story_is_split_within_the_tts_limit(django_capture_on_commit_callbacks, monkeypatch):
    from infinitestories.ai.local_provider import LocalProvider

    seen = []
    original = LocalProvider.speak

    def spy(self, **kwargs):
        seen.append(len(kwargs["text"]))
        return original(self, **kwargs)

    monkeypatch.setattr(LocalProvider, "speak", spy)
    content = " ".join(f"Sentence number {i} tells of a calm and happy star." for i in range(300))
    assert len(content) > 3 * 4096
    story = StoryFactory(content=content)
    with django_capture_on_commit_callbacks(execute=True):
        narration.audio_request(user=story.user, story=story)

    assert len(seen) >= 4 and max(seen) <= speech.TTS_INPUT_LIMIT
    story.refresh_from_db()
    words = len(f"{story.title}. {content}".split())
    assert story.audio_duration == pytest.approx(words * 0.4, rel=0.02)


def test_split_text_keeps_sentences_whole():
    text = "A short one. " + ("Word " * 1000).strip() + ". Last sentence!"
    pieces = speech.split_text(text, limit=1000)
    assert all(len(p) <= 1000 for p in pieces)
    assert pieces[0] == "A short one."
    assert pieces[-1].endswith("Last sentence!")
    assert " ".join(pieces).split() == text.split()


def test_one_failed_picture_is_retried_without_failing_the_others(
    monkeypatch, django_capture_on_commit_callbacks
):
    from infinitestories.ai.errors import PermanentProviderError
    from infinitestories.ai.local_provider import LocalProvider

    original = LocalProvider.draw
    attempts = {}

    def picky(self, *, prompt, reference=None, **options):
        if "Sentence two" in prompt:
            attempts["n"] = attempts.get("n", 0) + 1
            raise PermanentProviderError("500 once too often", provider="local")
        return original(self, prompt=prompt, reference=reference)

    monkeypatch.setattr(LocalProvider, "draw", picky)
    story = StoryFactory(
        content="Sentence one is calm.\n\nSentence two is calm.\n\nSentence three is calm."
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = illustrations.illustrations_request(user=story.user, story=story, count=3)

    rows = list(StoryIllustration.objects.filter(story=story).order_by("display_order"))
    assert [r.generation_status for r in rows] == ["completed", "failed", "completed"]
    assert rows[1].retry_count == 1 and attempts["n"] == 2
    job.refresh_from_db()
    assert job.status == "completed" and "1 of 3" in job.error_message


def test_refused_prompt_is_softened_then_made_generic(
    monkeypatch, django_capture_on_commit_callbacks
):
    from infinitestories.ai.errors import ContentRefused
    from infinitestories.ai.local_provider import LocalProvider

    original = LocalProvider.draw
    prompts = []

    def strict(self, *, prompt, reference=None, **options):
        prompts.append(prompt)
        if "garden under a friendly starry sky" not in prompt:
            raise ContentRefused("content_policy_violation", provider="local")
        return original(self, prompt=prompt, reference=reference)

    monkeypatch.setattr(LocalProvider, "draw", strict)
    story = StoryFactory(content="The hero was alone and scared in the dark forest.")
    with django_capture_on_commit_callbacks(execute=True):
        illustrations.illustrations_request(user=story.user, story=story, count=1)

    row = StoryIllustration.objects.get(story=story)
    assert row.generation_status == "completed"
    assert len(prompts) == 3
    assert "peaceful and happy" in prompts[1]
    # the term filter ran on every prompt
    assert not any(" alone " in p or "scared" in p for p in prompts)


def test_each_illustration_starts_when_its_scenes_first_word_is_spoken(
    django_capture_on_commit_callbacks,
):
    # given pictures ordered before narration exists (spaced evenly until it does)
    content = "\n\n".join(f"Paragraph {i}: " + "calm words, " * 20 for i in range(6))
    story = StoryFactory(title="The Quiet Night", content=content)
    with django_capture_on_commit_callbacks(execute=True):
        illustrations.illustrations_request(user=story.user, story=story, count=3)
        even = [r.timestamp for r in StoryIllustration.objects.filter(story=story)]
        # when the narration arrives
        narration.audio_request(user=story.user, story=story)

    # then each picture starts exactly when the narration speaks its scene's first word
    story.refresh_from_db()
    rows = list(StoryIllustration.objects.filter(story=story).order_by("display_order"))
    words = NarrationTimings.objects.get(story=story).words
    tokens = content.split()
    positions = {row.pk: row.word_index for row in rows}
    for row in rows:
        first = tokens[positions[row.pk]]
        index = 3 + sum(1 for t in tokens[: positions[row.pk]] if any(c.isalnum() for c in t))
        assert words[index]["text"] == first.strip(",.:")
        assert row.timestamp == words[index]["start"]
    assert rows[0].timestamp > 0  # the title is read first
    assert even[0] == 0


@pytest.mark.parametrize("priority", ["low", "normal", "high"])
def test_priority_picks_the_queue(priority, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(
        tasks.audio_generate_task, "apply_async", lambda **kwargs: sent.append(kwargs["queue"])
    )
    story = StoryFactory(user__subscription_tier="premium")  # high priority is a premium feature
    with django_capture_on_commit_callbacks(execute=True):
        narration.audio_request(user=story.user, story=story, priority=priority)
    assert sent == [priority]


def test_nothing_is_enqueued_when_the_transaction_rolls_back(monkeypatch):
    from django.db import transaction

    sent = []
    monkeypatch.setattr(tasks.audio_generate_task, "apply_async", lambda **kwargs: sent.append(1))
    story = StoryFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        narration.audio_request(user=story.user, story=story)
        raise RuntimeError
    assert sent == []
    assert not Job.objects.filter(story=story).exists()


def test_a_failed_illustrations_job_leaves_no_picture_pending(
    monkeypatch, django_capture_on_commit_callbacks
):
    from infinitestories.ai.local_provider import LocalProvider

    def boom(self, **kwargs):
        raise ValueError("bug in scene extraction")

    monkeypatch.setattr(LocalProvider, "pick_scenes", boom)
    story = StoryFactory()
    # the task's bug is logged by the worker (here: by the robust on-commit call), not raised
    # to whoever queued the job
    with django_capture_on_commit_callbacks(execute=True):
        illustrations.illustrations_request(user=story.user, story=story, count=2)
    job = Job.objects.get(story=story)
    assert job.status == "failed"
    assert set(
        StoryIllustration.objects.filter(story=story).values_list("generation_status", flat=True)
    ) == {"failed"}


def test_broker_down_at_commit_keeps_the_story_and_charges_once_and_the_sweeper_resends(
    auth_client, user, monkeypatch, django_capture_on_commit_callbacks
):
    """The story is saved and answered 201; its job waits queued until the sweeper resends it."""
    from tests.heroes.factories import HeroFactory

    def broker_down(**kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.audio_generate_task, "apply_async", broker_down)
    hero = HeroFactory(user=user)

    with django_capture_on_commit_callbacks(execute=True):
        first = auth_client.post(
            "/api/stories",
            {"heroId": hero.pk, "eventType": "bedtime"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k1",
        )
    retry = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )

    assert first.status_code == 201
    assert retry.json() == first.json()
    assert stories_used(user) == 1
    job = Job.objects.get(kind=Job.Kind.AUDIO)
    assert job.status == Job.Status.QUEUED

    # when the broker is back and the job has waited past the resend delay
    sent = []
    monkeypatch.setattr(
        tasks.audio_generate_task, "apply_async", lambda **kwargs: sent.append(kwargs["kwargs"])
    )
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        jobs.jobs_sweep()

    assert sent == [{"job_id": job.pk}]
    with django_capture_on_commit_callbacks(execute=True):
        jobs.jobs_sweep()  # just resent: not again
    assert sent == [{"job_id": job.pk}]


def when_narration_is_stored(monkeypatch, meanwhile) -> list[str]:
    """Run `meanwhile()` right after each narration file is saved (the family acting while the
    narration is stored); the keys saved, in order, are returned as they come."""
    saved = []
    save = narration.media_save

    def save_then_meanwhile(**kwargs):
        saved.append(save(**kwargs))
        meanwhile()
        return saved[-1]

    monkeypatch.setattr(narration, "media_save", save_then_meanwhile)
    return saved


def texts_spoken(monkeypatch) -> list[str]:
    """The texts the offline voice is asked to speak, in order, as they come."""
    from infinitestories.ai.local_provider import LocalProvider

    spoken = []
    speak = LocalProvider.speak

    def speak_and_note(self, **kwargs):
        spoken.append(kwargs["text"])
        return speak(self, **kwargs)

    monkeypatch.setattr(LocalProvider, "speak", speak_and_note)
    return spoken


def edit(story, content: str, *, regenerate_audio: bool = True) -> None:
    """The family edits the story's text (through the service, as PATCH does)."""
    from stories.models import Story
    from stories.services import stories

    stories.story_edit(
        user=story.user,
        story=Story.objects.get(pk=story.pk),
        content=content,
        regenerate_audio=regenerate_audio,
    )


def test_narration_finished_after_its_story_was_deleted_leaves_no_file(
    monkeypatch, django_capture_on_commit_callbacks
):
    from media import selectors as media_selectors

    story = StoryFactory()
    job = narration.audio_request(user=story.user, story=story)
    # the family deletes the story while its narration is being stored
    saved_keys = when_narration_is_stored(monkeypatch, story.delete)
    claimed = jobs.job_claim(job_id=job.pk)

    with django_capture_on_commit_callbacks(execute=True):
        narration.audio_generate(job=claimed)

    assert len(saved_keys) == 1
    assert not media_selectors.media_exists(key=saved_keys[0])


def test_staff_requeue_a_failed_job_with_fresh_attempts(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.test import Client

    from tests.accounts.factories import UserFactory

    failed = GenerationJobFactory(status=Job.Status.FAILED, attempts=5, error_message="down")
    done = GenerationJobFactory(status=Job.Status.COMPLETED)
    sent = []
    monkeypatch.setattr(
        tasks.audio_generate_task, "apply_async", lambda **kw: sent.append(kw["kwargs"])
    )
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            "/admin/stories/generationjob/",
            {"action": "requeue", "_selected_action": [failed.pk, done.pk]},
        )

    failed.refresh_from_db()
    done.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error_message) == ("queued", 0, "")
    assert done.status == "completed"
    assert sent == [{"job_id": failed.pk}]


@pytest.mark.parametrize("regenerate_audio", [True, False])
def test_an_edit_arriving_while_narration_runs_is_narrated_afterwards(
    monkeypatch, django_capture_on_commit_callbacks, regenerate_audio
):
    from django.core.files.storage import default_storage

    # given narration running for a story
    story = StoryFactory(title="Night", content="The old text of a calm night.")
    job = narration.audio_request(user=story.user, story=story)
    spoken = texts_spoken(monkeypatch)
    # the first narration is done; the family has just edited the text
    saved = when_narration_is_stored(
        monkeypatch,
        lambda: (
            len(saved) == 1
            and edit(story, "A new text about a brave dragon.", regenerate_audio=regenerate_audio)
        ),
    )

    # when the narration finishes
    with django_capture_on_commit_callbacks(execute=True):
        tasks.audio_generate_task.apply(args=[job.pk])

    # then the story's audio tells the new text, and the stale file is gone
    story.refresh_from_db()
    job.refresh_from_db()
    assert spoken == [
        "Night. The old text of a calm night.",
        "Night. A new text about a brave dragon.",
    ]
    assert (story.audio_generated, story.audio_key, job.status) == (True, saved[1], "completed")
    assert not default_storage.exists(saved[0])


# --- The message a failed job keeps is in the family's language -------------------------------


def test_a_failed_job_tells_the_family_why_in_its_language(
    monkeypatch, django_capture_on_commit_callbacks
):
    from infinitestories.ai.errors import PermanentProviderError
    from infinitestories.ai.local_provider import LocalProvider

    def broken(self, **kwargs):
        raise PermanentProviderError("400 bad voice", provider="local")

    monkeypatch.setattr(LocalProvider, "speak", broken)
    story = StoryFactory(user=UserFactory(preferred_language="de"))
    with django_capture_on_commit_callbacks(execute=True):
        narration.audio_request(user=story.user, story=story)

    # read later, from a phone set to English: the family's language was chosen in its profile
    status = client_for(story.user).get(
        f"/api/stories/{story.pk}/audio/status", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert status.json()["job"]["status"] == "failed"
    assert status.json()["job"]["error"] == (
        "Wir konnten das gerade nicht fertigstellen. Bitte versuche es in einer Weile noch einmal."
    )


def test_the_sweeper_fails_each_job_in_its_own_familys_language():
    stale = timezone.now() - timedelta(minutes=10)
    french = GenerationJobFactory(
        story=StoryFactory(user=UserFactory(preferred_language="fr")),
        status="processing",
        attempts=5,
        heartbeat_at=stale,
    )
    italian = GenerationJobFactory(
        story=StoryFactory(user=UserFactory(preferred_language="it")),
        status="processing",
        attempts=5,
        heartbeat_at=stale,
    )

    assert jobs.jobs_sweep(stale_after=timedelta(minutes=2)) == (0, 2)

    french.refresh_from_db()
    italian.refresh_from_db()
    assert french.error_message == (
        "Nous n'avons pas pu terminer pour le moment. Merci de réessayer un peu plus tard."
    )
    assert italian.error_message == (
        "Al momento non siamo riusciti a finire. Per favore, riprova tra un po'."
    )


def test_jobs_stopped_by_a_withdrawn_consent_say_so_in_the_familys_language():
    from accounts.services import WITHDRAWN_MESSAGE

    job = GenerationJobFactory(story=StoryFactory(user=UserFactory(preferred_language="es")))

    assert jobs.generation_jobs_cancel(user=job.user, message=WITHDRAWN_MESSAGE) == 1

    job.refresh_from_db()
    assert (job.status, job.error_message) == (
        "failed",
        "Un padre o una madre ha retirado el consentimiento para el uso de la IA, así que lo "
        "hemos detenido.",
    )


def test_narrating_an_edit_that_arrived_mid_narration_counts_against_the_narration_limit(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    # given one narration an hour, spent by the narration now running
    settings.RATE_LIMITS = "audio_generation=1/h"
    story = StoryFactory(title="Night", content="The old text of a calm night.")
    job = narration.audio_request(user=story.user, story=story)
    spoken = texts_spoken(monkeypatch)
    when_narration_is_stored(
        monkeypatch, lambda: edit(story, f"Edit number {len(spoken)} of the text.")
    )

    # when the narration finishes after an edit (the edit reused the running job)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.audio_generate_task.apply(args=[job.pk])

    # then the edit's narration was refused by the limit, not made for free
    story.refresh_from_db()
    job.refresh_from_db()
    assert spoken == ["Night. The old text of a calm night."]
    assert UsageMetric.objects.filter(operation="audio_synthesis").count() == 1
    assert (job.status, story.audio_generated) == ("failed", False)
    assert "Too many" in job.error_message


def test_consent_withdrawn_while_the_scenes_are_found_stops_the_pictures(
    monkeypatch, django_capture_on_commit_callbacks
):
    from accounts.services import WITHDRAWN_MESSAGE, consent_withdraw

    # given a parent who withdraws consent while the job finds the story's scenes
    story = StoryFactory(content="One calm night.\n\nTwo calm stars.\n\nThree calm dreams.")
    find_scenes = illustrations.scenes.scenes_extract

    def scenes_then_withdrawal(**kwargs):
        found = find_scenes(**kwargs)
        consent_withdraw(user=story.user)
        return found

    monkeypatch.setattr(illustrations.scenes, "scenes_extract", scenes_then_withdrawal)

    # when the job goes on
    with django_capture_on_commit_callbacks(execute=True):
        job = illustrations.illustrations_request(user=story.user, story=story, count=3)

    # then nothing is drawn, and the job ends as the withdrawal stopped it
    job.refresh_from_db()
    assert (job.status, job.error_message) == ("failed", str(WITHDRAWN_MESSAGE))
    assert not UsageMetric.objects.filter(operation="image_generation").exists()
    statuses = StoryIllustration.objects.filter(story=story).values_list(
        "generation_status", flat=True
    )
    assert set(statuses) == {"failed"}


def test_consent_withdrawn_during_narration_leaves_the_story_unnarrated(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    from accounts.services import WITHDRAWN_MESSAGE, consent_withdraw

    # given a parent who withdraws consent while the story is narrated
    story = StoryFactory()
    job = narration.audio_request(user=story.user, story=story)
    saved = when_narration_is_stored(monkeypatch, lambda: consent_withdraw(user=story.user))

    # when the narration finishes
    with django_capture_on_commit_callbacks(execute=True):
        tasks.audio_generate_task.apply(args=[job.pk])

    # then the story never gets it: no audio, no timings, the file gone, the job stopped
    story.refresh_from_db()
    job.refresh_from_db()
    assert (job.status, job.error_message) == ("failed", str(WITHDRAWN_MESSAGE))
    assert (story.audio_generated, story.audio_key) == (False, "")
    assert not NarrationTimings.objects.filter(story=story).exists()
    assert not default_storage.exists(saved[0])


def test_a_narration_asked_in_another_voice_replaces_the_one_under_way(
    django_capture_on_commit_callbacks,
):
    # given narration asked in one voice, then in another before the first ran
    story = StoryFactory()
    first = narration.audio_request(user=story.user, story=story, voice="nova")
    second = narration.audio_request(user=story.user, story=story, voice="echo")

    # when both tasks run, the older last
    with django_capture_on_commit_callbacks(execute=True):
        tasks.audio_generate_task.apply(args=[second.pk])
        tasks.audio_generate_task.apply(args=[first.pk])

    # then the story has the newer narration, with its own word timings, and only it
    story.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("failed", "completed")
    assert story.voice_type == "echo"
    timings = NarrationTimings.objects.filter(story=story)
    assert list(timings.values_list("audio_key", flat=True)) == [story.audio_key]
    assert UsageMetric.objects.filter(operation="audio_synthesis").count() == 1
