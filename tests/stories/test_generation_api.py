import io

import pytest
from mutagen.mp3 import MP3
from PIL import Image

from heroes.models import HeroVisualProfile
from infinitestories.api.models import IdempotencyRecord
from media.selectors import media_exists, media_read
from stories.models import GenerationJob, NarrationTimings, Story, StoryIllustration
from tests.helpers import post_story
from tests.heroes.factories import HeroFactory
from tests.stories.factories import CustomStoryEventFactory, StoryFactory
from tests.usage.factories import set_quota, stories_used
from usage.models import UsageMetric


@pytest.fixture
def hero(user):
    return HeroFactory(user=user, name="Alice", traits=["brave", "curious"])


def test_post_story_writes_saves_and_narrates(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    response = post_story(
        auth_client,
        hero,
        on_commit=django_capture_on_commit_callbacks,
        generateAudio=True,
        language="fr",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    story = Story.objects.get(pk=body["story"]["id"])
    assert body["story"]["heroId"] == hero.pk
    assert body["story"]["language"] == "fr"
    assert body["story"]["content"] == story.content and "Alice" in story.content
    assert body["story"]["audioGenerated"] is False
    assert body["jobs"]["audioGeneration"]["queued"] is True
    assert body["jobs"]["audioGeneration"]["estimatedCompletionTime"]
    assert story.prompt_version == "story/v1"
    assert stories_used(user) == 1
    # the job ran eagerly on commit
    story.refresh_from_db()
    assert story.audio_generated and story.voice_type == "nova"
    audio = media_read(key=story.audio_key)
    assert MP3(io.BytesIO(audio)).info.length == pytest.approx(story.audio_duration, abs=0.1)
    job = GenerationJob.objects.get(story=story, kind="audio")
    assert (job.status, job.progress, job.attempts) == ("completed", 100, 1)
    ops = sorted(UsageMetric.objects.filter(story_id=story.pk).values_list("operation", flat=True))
    assert ops == ["audio_synthesis", "moderation", "moderation", "story_generation"]


def test_post_story_with_illustrations_draws_three_timed_pictures(
    auth_client, hero, django_capture_on_commit_callbacks
):
    response = post_story(
        auth_client,
        hero,
        on_commit=django_capture_on_commit_callbacks,
        eventType="birthday",
        generateAudio=True,
        generateIllustrations=True,
    )

    assert response.status_code == 201
    story = Story.objects.get(pk=response.json()["story"]["id"])
    rows = list(story.illustrations.order_by("display_order"))
    assert len(rows) == 3
    assert all(r.generation_status == "completed" and media_exists(key=r.image_key) for r in rows)
    assert all(Image.open(io.BytesIO(media_read(key=r.image_key))).format == "PNG" for r in rows)
    stamps = [r.timestamp for r in rows]
    # the first scene opens the story: its picture shows when the content's first word is spoken
    words = story.narration_timings.get().words
    title_words = len(story.title.split())
    assert stamps == sorted(stamps) and stamps[0] == words[title_words]["start"] > 0
    assert stamps[-1] < story.audio_duration
    status = auth_client.get(f"/api/stories/{story.pk}/illustrations/status").json()
    assert status["status"] == "completed"
    assert status["progress"] == {"completed": 3, "failed": 0, "total": 3, "percentage": 100}


def test_validation_errors(auth_client, hero, other_user):
    other_hero = HeroFactory(user=other_user)
    assert auth_client.post("/api/stories", {"heroId": hero.pk}, format="json").status_code == 400
    bad = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime", "language": "pt"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "VALIDATION_ERROR"
    count = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "illustrationCount": 6},
        format="json",
    )
    assert count.status_code == 400
    foreign = auth_client.post(
        "/api/stories", {"heroId": other_hero.pk, "eventType": "bedtime"}, format="json"
    )
    assert foreign.status_code == 404
    assert Story.objects.count() == 0
    assert UsageMetric.objects.count() == 0


def test_quota_exceeded_before_any_ai_call(auth_client, user, hero):
    set_quota(user, used=10, limit=10)

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 429
    assert response.json()["code"] == "QUOTA_EXCEEDED"
    assert UsageMetric.objects.count() == 0
    assert Story.objects.count() == 0


def test_custom_event_counts_its_use(auth_client, user, hero, django_capture_on_commit_callbacks):
    event = CustomStoryEventFactory(user=user, title="First lost tooth")

    response = post_story(
        auth_client,
        hero,
        on_commit=django_capture_on_commit_callbacks,
        eventType=None,
        customEventId=event.pk,
    )

    assert response.status_code == 201
    assert "First lost tooth" in response.json()["story"]["content"]
    assert response.json()["jobs"] == {}
    event.refresh_from_db()
    assert event.usage_count == 1 and event.last_used_at is not None


def test_unsafe_hero_is_rejected_kindly_and_nothing_is_charged(auth_client, user):
    hero = HeroFactory(user=user, appearance="carries a knife and is covered in blood")

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "CONTENT_REJECTED"
    assert "gentle" in response.json()["error"]
    assert Story.objects.count() == 0
    assert stories_used(user) == 0
    assert list(UsageMetric.objects.values_list("operation", flat=True)) == ["moderation"]


def test_flagged_generated_story_is_rewritten_once_then_fails_without_saving(
    auth_client, user, hero, monkeypatch
):
    from infinitestories.ai import local_provider

    monkeypatch.setattr(
        local_provider.LocalProvider,
        "write_story",
        lambda self, request: local_provider.StoryResult(
            title="T",
            content="blood everywhere",
            model="local-1",
            usage=local_provider.Usage("tokens"),
        ),
    )

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 502
    assert response.json()["code"] == "AI_FAILED"
    assert Story.objects.count() == 0
    assert stories_used(user) == 0
    assert UsageMetric.objects.filter(operation="story_generation").count() == 2


def test_idempotency_key_replays_the_first_answer_and_charges_once(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    body = {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False}
    with django_capture_on_commit_callbacks(execute=True):
        first = auth_client.post("/api/stories", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
        second = auth_client.post("/api/stories", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Story.objects.count() == 1
    assert stories_used(user) == 1
    other = auth_client.post(
        "/api/stories", {**body, "language": "de"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_failed_request_releases_its_idempotency_key(auth_client, user):
    hero = HeroFactory(user=user, appearance="holds a gun")
    response = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 400
    assert IdempotencyRecord.objects.count() == 0


def test_audio_request_and_status(auth_client, user, django_capture_on_commit_callbacks):
    # a premium voice at high priority: the premium plan includes both
    user.subscription_tier = "premium"
    user.save()
    story = StoryFactory(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            f"/api/stories/{story.pk}/audio", {"voice": "coral", "priority": "high"}, format="json"
        )
    assert response.status_code == 202
    assert response.json()["job"]["status"] == "queued"
    status = auth_client.get(f"/api/stories/{story.pk}/audio/status").json()
    assert status["audioGenerated"] is True
    assert status["audioUrl"]
    assert status["audioDuration"] > 0
    story.refresh_from_db()
    assert story.voice_type == "coral"


def test_audio_voice_is_validated(auth_client, user):
    story = StoryFactory(user=user)
    response = auth_client.post(f"/api/stories/{story.pk}/audio", {"voice": "robot"}, format="json")
    assert response.status_code == 400


def test_other_users_story_is_404_and_nothing_is_queued_or_charged(auth_client, user, other_user):
    story = StoryFactory(user=other_user)
    hero = HeroFactory(user=other_user, avatar_key="")

    answers = [
        auth_client.post(f"/api/stories/{story.pk}/audio", {}, format="json"),
        auth_client.get(f"/api/stories/{story.pk}/audio/status"),
        auth_client.post(f"/api/stories/{story.pk}/illustrations", {}, format="json"),
        auth_client.get(f"/api/stories/{story.pk}/illustrations/status"),
        auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json"),
        auth_client.post(
            "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
        ),
    ]

    assert [a.status_code for a in answers] == [404] * 6
    assert all(a.json()["code"] == "NOT_FOUND" for a in answers)
    assert not GenerationJob.objects.exists()
    assert not UsageMetric.objects.exists()
    assert not StoryIllustration.objects.exists()
    hero.refresh_from_db()
    assert hero.avatar_key == ""
    assert stories_used(user) == 0


def test_regenerated_audio_replaces_the_old_file_after_saving(
    auth_client, user, django_capture_on_commit_callbacks
):
    story = StoryFactory(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(f"/api/stories/{story.pk}/audio", {}, format="json")
    story.refresh_from_db()
    old_key = story.audio_key
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(f"/api/stories/{story.pk}/audio", {"voice": "echo"}, format="json")
    story.refresh_from_db()
    assert story.audio_key != old_key
    assert media_exists(key=story.audio_key)
    assert not media_exists(key=old_key)


def test_avatar_generation_stores_picture_and_visual_profile(auth_client, hero):
    response = auth_client.post(
        f"/api/heroes/{hero.pk}/avatar",
        {"customPrompt": "wearing a yellow raincoat"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()["hero"]
    assert body["avatarUrl"]
    assert "yellow raincoat" in body["avatarPrompt"]
    assert body["visualProfile"]["canonicalPrompt"]
    hero.refresh_from_db()
    assert media_exists(key=hero.avatar_key)
    assert HeroVisualProfile.objects.filter(hero=hero).count() == 1
    ops = sorted(UsageMetric.objects.filter(hero_id=hero.pk).values_list("operation", flat=True))
    # moderation of the family's text, then of the picture drawn
    assert ops == ["avatar_generation", "moderation", "moderation", "visual_profile"]


def test_a_wordy_visual_profile_is_cut_to_its_columns(auth_client, hero, monkeypatch):
    from infinitestories.ai.base import Usage, VisualProfileResult
    from infinitestories.ai.local_provider import LocalProvider
    from infinitestories.ai.visual_profile import FIELDS, LIST_FIELDS

    # given a model that answers every text of the profile with 300 characters
    wordy = {field: "very " * 60 for field in FIELDS if field not in LIST_FIELDS}
    monkeypatch.setattr(
        LocalProvider,
        "describe_hero",
        lambda self, request: VisualProfileResult(
            profile=wordy, model="local", usage=Usage(unit="tokens")
        ),
    )

    # when the avatar is drawn (and paid for)
    response = auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json")

    # then the profile is saved, each text as long as its column allows
    assert response.status_code == 200, response.json()
    profile = HeroVisualProfile.objects.get(hero=hero)
    assert (len(profile.hair_color), len(profile.clothing_style)) == (100, 200)
    assert profile.canonical_prompt == wordy["canonical_prompt"]


def test_avatar_custom_prompt_is_moderated(auth_client, hero):
    response = auth_client.post(
        f"/api/heroes/{hero.pk}/avatar", {"customPrompt": "with a gun"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "CONTENT_REJECTED"
    hero.refresh_from_db()
    assert hero.avatar_key == ""


def test_illustrations_use_avatar_and_profile(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json")
    story = StoryFactory(user=user, hero=hero)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            f"/api/stories/{story.pk}/illustrations",
            {"count": 2, "sceneTimestamps": [5, 20]},
            format="json",
        )
    assert response.status_code == 202
    assert response.json()["job"]["illustrationCount"] == 2
    rows = list(StoryIllustration.objects.filter(story=story))
    assert [r.timestamp for r in rows] == [5.0, 20.0]
    profile = HeroVisualProfile.objects.get(hero=hero)
    assert all(profile.canonical_prompt in r.prompt for r in rows)


def test_an_edit_queues_narration_only_when_the_spoken_text_changed(
    user, django_capture_on_commit_callbacks
):
    from stories.services.stories import story_edit

    story = StoryFactory(user=user, voice_type="echo", title="The Owl")
    _, unchanged = story_edit(user=user, story=story, is_favorite=True, regenerate_audio=True)
    assert unchanged is None
    _, same_title = story_edit(user=user, story=story, title="The Owl", regenerate_audio=True)
    assert same_title is None
    with django_capture_on_commit_callbacks(execute=True):
        _, retitled = story_edit(
            user=user, story=story, title="A Very Sleepy Owl", regenerate_audio=True
        )
    retitled.refresh_from_db()
    story.refresh_from_db()
    assert retitled.status == "completed"  # the title is spoken: a new title is narrated
    words = NarrationTimings.objects.get(story=story, audio_key=story.audio_key).words
    assert [word["text"] for word in words[:4]] == ["A", "Very", "Sleepy", "Owl"]
    with django_capture_on_commit_callbacks(execute=True):
        _, job = story_edit(
            user=user, story=story, content="A calm new night.", regenerate_audio=True
        )
    job.refresh_from_db()
    story.refresh_from_db()
    assert job.status == "completed" and story.audio_generated and story.voice_type == "echo"


def test_edited_story_content_is_moderated(user):
    from infinitestories.ai.errors import FamilyTextFlagged
    from stories.services.stories import story_edit

    story = StoryFactory(user=user)
    story_edit(user=user, story=story, content="A calm night.")
    with pytest.raises(FamilyTextFlagged):
        story_edit(user=user, story=story, content="There was blood.")
    story.refresh_from_db()
    assert story.content == "A calm night."


def test_hero_deleted_while_its_story_is_written_is_404_and_charges_nothing(
    auth_client, user, monkeypatch
):
    from infinitestories.ai import story_text

    hero = HeroFactory(user=user)
    write = story_text.story_write

    def write_while_the_family_deletes_the_hero(**kwargs):
        draft = write(**kwargs)
        hero.delete()  # another request, between the AI call and the save
        return draft

    monkeypatch.setattr(story_text, "story_write", write_while_the_family_deletes_the_hero)

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert not Story.objects.exists()
    assert not GenerationJob.objects.exists()
    assert stories_used(user) == 0
