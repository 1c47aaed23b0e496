"""The OpenAI provider through the real SDK against the fake OpenAI server on loopback."""

import io
from decimal import Decimal

import pytest
from mutagen.mp3 import MP3

from media.selectors import media_read
from stories import tasks
from stories.models import GenerationJob, Story, StoryIllustration
from stories.services import illustrations, narration
from tests.heroes.factories import HeroFactory
from tests.stories.factories import StoryFactory
from tests.usage.factories import put_on_plan, set_quota, stories_used
from usage.models import UsageMetric

# OpenAI's narration is what these tests check: its models still answer, whatever day the suite
# runs on (TEST_TODAY).
pytestmark = pytest.mark.usefixtures("openai_speech_alive")


@pytest.fixture
def hero(user):
    return HeroFactory(user=user, name="Alice", traits=["brave", "kind"])


def test_story_audio_illustrations_and_avatar_through_the_sdk(
    openai_provider, auth_client, user, hero, django_capture_on_commit_callbacks
):
    avatar = auth_client.post(
        f"/api/heroes/{hero.pk}/avatar", {"customPrompt": "yellow raincoat"}, format="json"
    )
    assert avatar.status_code == 200, avatar.json()
    assert avatar.json()["hero"]["visualProfile"]["hairColor"] == "blonde"

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            "/api/stories",
            {
                "heroId": hero.pk,
                "eventType": "bedtime",
                "generateIllustrations": True,
                "voice": "echo",
            },
            format="json",
        )

    assert response.status_code == 201, response.json()
    story = Story.objects.get(pk=response.json()["story"]["id"])
    assert story.audio_generated and story.voice_type == "echo"
    assert MP3(io.BytesIO(media_read(key=story.audio_key))).info.length == pytest.approx(
        story.audio_duration, abs=0.1
    )
    rows = StoryIllustration.objects.filter(story=story)
    assert [r.generation_status for r in rows] == ["completed"] * 3
    # what went over the wire: real API parameters only
    chat = openai_provider.calls("/v1/chat/completions")
    story_call = next(
        c
        for c in chat
        if c.body.get("response_format", {}).get("json_schema", {}).get("name") == "story"
    )
    assert story_call.body["model"] == "gpt-5.4"
    assert "max_completion_tokens" in story_call.body
    speech = openai_provider.calls("/v1/audio/speech")
    assert speech[0].body["voice"] == "echo" and speech[0].body["instructions"]
    assert speech[0].body["model"] == "gpt-4o-mini-tts-2025-12-15"
    edits = openai_provider.calls("/v1/images/edits")
    assert len(edits) == 3  # drawn from the avatar as reference
    assert all(e.body["input_fidelity"] == "high" for e in edits)
    assert all("yellow raincoat" in e.body["prompt"] for e in edits)  # canonical profile
    generations = openai_provider.calls("/v1/images/generations")
    assert len(generations) == 1  # the avatar
    assert not any("previous_generation_id" in c.body for c in generations + edits)
    # usage rows: tokens from the answers, costs from the price table
    row = UsageMetric.objects.get(story_id=story.pk, operation="story_generation")
    assert row.usage_reported and row.model == "gpt-5.4-2026-03-05"
    expected = (
        Decimal(row.input_units) * Decimal("2.50") / 10**6
        + Decimal(row.output_units) * Decimal("15") / 10**6
    )
    assert row.cost == expected.quantize(Decimal("0.000001"))
    tts = UsageMetric.objects.get(story_id=story.pk, operation="audio_synthesis")
    assert tts.unit == "characters" and tts.cost == (
        Decimal(tts.input_units) * Decimal("0.000015")
    ).quantize(Decimal("0.000001"))
    images = UsageMetric.objects.filter(story_id=story.pk, operation="image_generation")
    assert images.count() == 3 and all(i.cost > 0 and i.usage_reported for i in images)
    assert UsageMetric.objects.filter(success=False).count() == 0


def test_fails_twice_then_answers(openai_provider, monkeypatch):
    story = StoryFactory()
    openai_provider.fail("/v1/audio/speech", times=2, status=500)
    job = narration.audio_request(user=story.user, story=story)

    monkeypatch.setitem(tasks.audio_generate_task.app.conf, "task_eager_propagates", False)
    tasks.audio_generate_task.apply(args=[job.pk], throw=False)

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("completed", 3)
    rows = UsageMetric.objects.filter(operation="audio_synthesis").order_by("created_at")
    assert [r.success for r in rows] == [False, False, True]


def test_always_failing_audio_fails_the_job_with_a_message(openai_provider, monkeypatch):
    story = StoryFactory()
    openai_provider.fail("/v1/audio/speech", times=None, status=503)
    job = narration.audio_request(user=story.user, story=story)

    monkeypatch.setitem(tasks.audio_generate_task.app.conf, "task_eager_propagates", False)
    tasks.audio_generate_task.apply(args=[job.pk], throw=False)

    job.refresh_from_db()
    story.refresh_from_db()
    assert job.status == "failed" and job.attempts == job.max_attempts
    assert "try again" in job.error_message
    assert story.audio_key == "" and not story.audio_generated


def test_story_provider_down_answers_503_and_charges_nothing(
    openai_provider, auth_client, user, hero
):
    openai_provider.fail("/v1/chat/completions", times=None, status=500)

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 503
    assert response.json()["code"] == "AI_UNAVAILABLE"
    assert Story.objects.count() == 0
    assert GenerationJob.objects.count() == 0
    assert stories_used(user) == 0
    assert UsageMetric.objects.filter(operation="story_generation", success=False).count() == 1


@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        ({"chat_raw": '{"title": "The Star", "content": "Once upon a ti'}, 503, "AI_UNAVAILABLE"),
        ({"chat_refusal": "I can't help with that."}, 502, "AI_FAILED"),
    ],
)
def test_a_billed_answer_the_app_cannot_use_is_still_metered_at_its_cost(
    openai_provider, auth_client, user, hero, answer, status, code
):
    # given the model answers, and is paid, but with a cut-off text or a refusal
    for name, value in answer.items():
        setattr(openai_provider, name, value)

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    # then the family gets an error and no story, and the vendor's bill is on our books
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert Story.objects.count() == 0
    (row,) = UsageMetric.objects.filter(operation="story_generation")
    assert (row.success, row.unit, row.usage_reported) == (False, "tokens", True)
    assert row.input_units > 0 and row.output_units > 0
    assert row.cost > 0


def test_bad_request_is_not_retried(openai_provider, settings, auth_client, hero):
    settings.AI_MAX_RETRIES = 2
    openai_provider.fail("/v1/chat/completions", times=1, status=400)

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 502
    assert len(openai_provider.calls("/v1/chat/completions")) == 1


def test_long_story_never_sends_more_than_4096_characters(
    openai_provider, django_capture_on_commit_callbacks
):
    content = " ".join(
        f"Line {i}: the little owl hummed a quiet song to the moon." for i in range(400)
    )
    assert len(content) > 4 * 4096
    story = StoryFactory(content=content)
    # (four times a usual story: its narration and transcription pass a free plan's day)
    put_on_plan(story.user, code="long", daily_cost_ceiling=5, monthly_cost_ceiling=5)

    with django_capture_on_commit_callbacks(execute=True):
        job = narration.audio_request(user=story.user, story=story)

    job.refresh_from_db()
    assert job.status == "completed"
    inputs = [len(c.body["input"]) for c in openai_provider.calls("/v1/audio/speech")]
    assert len(inputs) >= 5 and max(inputs) <= 4096
    story.refresh_from_db()
    assert story.audio_duration == pytest.approx(
        len(f"{story.title}. {content}".split()) * 0.4, rel=0.02
    )


def test_unsafe_generated_story_is_never_saved(openai_provider, auth_client, user, hero):
    openai_provider.story = {"title": "Night", "content": "There was blood on the knife."}

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 502
    assert Story.objects.count() == 0
    assert len([c for c in openai_provider.calls("/v1/chat/completions")]) == 2
    assert stories_used(user) == 0


def test_unsafe_input_is_rejected(openai_provider, auth_client, user):
    hero = HeroFactory(user=user, abilities=["flagme"])
    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "CONTENT_REJECTED"
    assert openai_provider.calls("/v1/chat/completions") == []


def test_safety_refusal_rewrites_the_picture_gently(
    openai_provider, django_capture_on_commit_callbacks
):
    story = StoryFactory()
    openai_provider.refuse("/v1/images/generations", times=1)

    with django_capture_on_commit_callbacks(execute=True):
        illustrations.illustrations_request(user=story.user, story=story, count=1)

    row = StoryIllustration.objects.get(story=story)
    assert row.generation_status == "completed"
    prompts = [c.body["prompt"] for c in openai_provider.calls("/v1/images/generations")]
    assert len(prompts) == 2 and "peaceful and happy" in prompts[1]


def test_chain_falls_back_to_the_next_provider_and_cools_down(
    openai_provider, settings, auth_client, user, hero
):
    settings.AI_PROVIDER_CHAIN = ["openai", "local"]
    openai_provider.fail("/v1/chat/completions", times=None, status=500)
    set_quota(user, limit=5)

    first = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False},
        format="json",
    )
    second = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False},
        format="json",
    )

    assert first.status_code == second.status_code == 201
    # openai failed once (after the SDK's retries), then was skipped for the cool-down
    assert len(openai_provider.calls("/v1/chat/completions")) == settings.AI_MAX_RETRIES + 1
    assert UsageMetric.objects.filter(vendor="local", operation="story_generation").count() == 2


def test_moderation_never_falls_back_to_the_offline_word_list(
    openai_provider, settings, auth_client, user, hero
):
    """The offline provider is no child-safety filter: without real moderation, no story."""
    settings.AI_PROVIDER_CHAIN = ["openai", "local"]
    openai_provider.fail("/v1/moderations", times=None, status=500)

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 503
    assert response.json()["code"] == "AI_UNAVAILABLE"
    assert not UsageMetric.objects.filter(vendor="local").exists()
    assert Story.objects.count() == 0
    assert stories_used(user) == 0


def test_a_permanent_moderation_failure_is_a_clean_502(openai_provider, auth_client, user, hero):
    """A bad key or a retired moderation model: the request fails cleanly, nothing is charged."""
    openai_provider.fail("/v1/moderations", times=None, status=401)

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 502
    assert response.json()["code"] == "AI_FAILED"
    assert openai_provider.calls("/v1/chat/completions") == []
    assert Story.objects.count() == 0
    assert stories_used(user) == 0


def test_an_uploaded_jpeg_avatar_is_sent_as_jpeg_reference(
    openai_provider, user, django_capture_on_commit_callbacks
):
    from PIL import Image

    from media.services import media_save

    jpeg = io.BytesIO()
    Image.new("RGB", (64, 64), "orange").save(jpeg, format="JPEG")
    key = media_save(
        category="avatar", content=jpeg.getvalue(), extension="jpg", content_type="image/jpeg"
    )
    story = StoryFactory(user=user, hero=HeroFactory(user=user, avatar_key=key))

    with django_capture_on_commit_callbacks(execute=True):
        illustrations.illustrations_request(user=user, story=story, count=1)

    (edit,) = openai_provider.calls("/v1/images/edits")
    assert edit.body["image__content_type"] == "image/jpeg"
    assert StoryIllustration.objects.get(story=story).generation_status == "completed"
