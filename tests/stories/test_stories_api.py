"""Stories, PRD 6.3 and 6.5 (without generation)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from media import selectors as media_selectors
from stories.models import GenerationJob, Story, StoryIllustration
from tests.helpers import saved_file
from tests.heroes.factories import HeroFactory
from tests.stories.factories import StoryFactory, StoryIllustrationFactory

LIST_ROW_KEYS = {
    "id",
    "heroId",
    "heroName",
    "title",
    "content",
    "language",
    "eventType",
    "audioUrl",
    "audioGenerated",
    "audioDuration",
    "illustrationCount",
    "listenCount",
    "isFavorite",
    "createdAt",
}
DETAIL_KEYS = {
    "id",
    "heroId",
    "hero",
    "title",
    "content",
    "language",
    "eventType",
    "customEventId",
    "audioUrl",
    "audioGenerated",
    "audioDuration",
    "voiceType",
    "listenCount",
    "lastListenedAt",
    "isFavorite",
    "createdAt",
    "updatedAt",
}
ILLUSTRATION_KEYS = {
    "id",
    "imageUrl",
    "timestamp",
    "duration",
    "displayOrder",
    "generationStatus",
    "createdAt",
}

# --- list -----------------------------------------------------------------------------------


def test_list_rows_have_hero_name_and_illustration_count(auth_client, user, other_user):
    # given
    hero = HeroFactory(user=user, name="Alice")
    story = StoryFactory(
        user=user, hero=hero, audio_key=saved_file("audio", "mp3"), audio_generated=True
    )
    StoryIllustrationFactory.create_batch(3, story=story)
    StoryFactory(user=other_user)

    # when
    response = auth_client.get("/api/stories")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"total": 1, "limit": 50, "offset": 0}
    row = body["stories"][0]
    assert set(row) == LIST_ROW_KEYS
    assert row["id"] == story.id
    assert row["heroId"] == hero.id
    assert row["heroName"] == "Alice"
    assert row["illustrationCount"] == 3
    assert row["eventType"] == "bedtime"
    assert row["audioUrl"] == f"http://testserver/media/{story.audio_key}"
    assert row["audioGenerated"] is True


def test_list_includes_stories_whose_hero_was_deleted(auth_client, user):
    StoryFactory(user=user, hero=None)

    row = auth_client.get("/api/stories").json()["stories"][0]

    assert (row["heroId"], row["heroName"]) == (None, None)


def test_list_filters(auth_client, user):
    alice, milo = HeroFactory(user=user), HeroFactory(user=user)
    a = StoryFactory(user=user, hero=alice, language="en", event_type="bedtime", is_favorite=True)
    b = StoryFactory(user=user, hero=milo, language="fr", event_type="birthday")
    c = StoryFactory(user=user, hero=alice, language="fr", event_type="birthday")

    def ids(query):
        response = auth_client.get(f"/api/stories?{query}")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["stories"]}

    assert ids(f"heroId={alice.id}") == {a.id, c.id}
    assert ids("eventType=birthday") == {b.id, c.id}
    assert ids("language=fr") == {b.id, c.id}
    assert ids("isFavorite=true") == {a.id}
    assert ids("isFavorite=false") == {b.id, c.id}
    assert ids(f"heroId={alice.id}&language=fr") == {c.id}


def test_list_filter_by_another_users_hero_shows_nothing(auth_client, other_user):
    theirs = StoryFactory(user=other_user)

    response = auth_client.get(f"/api/stories?heroId={theirs.hero_id}")

    assert response.json()["stories"] == []


def test_list_sorts_by_listen_count(auth_client, user):
    quiet = StoryFactory(user=user, listen_count=1)
    loud = StoryFactory(user=user, listen_count=9)
    mid = StoryFactory(user=user, listen_count=5)

    desc = auth_client.get("/api/stories?sortBy=listenCount").json()["stories"]
    asc = auth_client.get("/api/stories?sortBy=listenCount&sortOrder=asc").json()["stories"]

    assert [row["id"] for row in desc] == [loud.id, mid.id, quiet.id]
    assert [row["id"] for row in asc] == [quiet.id, mid.id, loud.id]


def test_list_newest_first_by_default(auth_client, user):
    old = StoryFactory(user=user)
    Story.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    new = StoryFactory(user=user)

    rows = auth_client.get("/api/stories").json()["stories"]

    assert [row["id"] for row in rows] == [new.id, old.id]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sortBy=title", "sortBy"),
        ("sortOrder=sideways", "sortOrder"),
        ("language=xx", "language"),
        ("isFavorite=perhaps", "isFavorite"),
        ("limit=1000", "limit"),
    ],
)
def test_list_rejects_bad_query_params(auth_client, query, field):
    response = auth_client.get(f"/api/stories?{query}")

    assert response.status_code == 400
    assert field in response.json()["details"]


@pytest.mark.parametrize("count", [1, 30])
def test_list_runs_a_constant_number_of_queries(
    auth_client, user, count, django_assert_num_queries
):
    for story in StoryFactory.create_batch(count, user=user):
        StoryIllustrationFactory(story=story)

    # session lookup, page (hero joined, illustrations counted; not full: no COUNT)
    with django_assert_num_queries(2):
        response = auth_client.get("/api/stories?limit=100")

    assert len(response.json()["stories"]) == count


# --- detail ---------------------------------------------------------------------------------


def test_detail_has_hero_summary(auth_client, user):
    hero = HeroFactory(user=user, name="Alice", avatar_key=saved_file("avatar"))
    story = StoryFactory(user=user, hero=hero, voice_type="nova", audio_duration=180.5)

    response = auth_client.get(f"/api/stories/{story.id}")

    assert response.status_code == 200
    body = response.json()["story"]
    assert set(body) == DETAIL_KEYS
    assert body["hero"] == {
        "id": hero.id,
        "name": "Alice",
        "avatarUrl": f"http://testserver/media/{hero.avatar_key}",
    }
    assert body["voiceType"] == "nova"
    assert body["audioDuration"] == 180.5
    assert body["audioUrl"] is None


def test_detail_includes_illustrations_in_order_when_asked(auth_client, user):
    story = StoryFactory(user=user)
    second = StoryIllustrationFactory(
        story=story, display_order=1, image_key=saved_file("illustration")
    )
    first = StoryIllustrationFactory(story=story, display_order=0)

    response = auth_client.get(f"/api/stories/{story.id}?includeIllustrations=true")

    illustrations = response.json()["story"]["illustrations"]
    assert [i["id"] for i in illustrations] == [first.id, second.id]
    assert set(illustrations[0]) == ILLUSTRATION_KEYS
    assert illustrations[1]["imageUrl"] == f"http://testserver/media/{second.image_key}"


def test_detail_without_hero_has_null_hero(auth_client, user):
    story = StoryFactory(user=user, hero=None)

    body = auth_client.get(f"/api/stories/{story.id}").json()["story"]

    assert (body["hero"], body["heroId"]) == (None, None)
    assert "illustrations" not in body


def test_other_users_story_detail_is_404(auth_client, other_user):
    story = StoryFactory(user=other_user)

    response = auth_client.get(f"/api/stories/{story.id}")

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_unknown_story_is_404(auth_client):
    assert auth_client.get("/api/stories/story_nope").status_code == 404


# --- update ---------------------------------------------------------------------------------


def test_patch_title_and_favorite_keeps_audio(auth_client, user):
    story = StoryFactory(user=user, audio_key=saved_file("audio", "mp3"), audio_generated=True)

    response = auth_client.patch(
        f"/api/stories/{story.id}", {"title": "Updated Title", "isFavorite": True}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["story"]["title"] == "Updated Title"
    assert body["story"]["isFavorite"] is True
    assert body["story"]["audioGenerated"] is True
    assert body["jobs"] == {"audioRegeneration": {"queued": False}}


def test_patch_content_marks_audio_stale_and_deletes_old_audio(
    auth_client, user, django_capture_on_commit_callbacks
):
    # given a narrated story
    audio = saved_file("audio", "mp3")
    story = StoryFactory(user=user, audio_key=audio, audio_generated=True, audio_duration=120.0)

    # when its text changes, without asking for new narration
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.patch(
            f"/api/stories/{story.id}", {"content": "Updated story content..."}, format="json"
        )

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["story"]["content"] == "Updated story content..."
    assert body["story"]["audioGenerated"] is False
    assert body["story"]["audioUrl"] is None
    assert body["jobs"] == {"audioRegeneration": {"queued": False}}
    story.refresh_from_db()
    assert (story.audio_generated, story.audio_key, story.audio_duration) == (False, "", None)
    assert not media_selectors.media_exists(key=audio)
    assert not GenerationJob.objects.filter(story=story).exists()


def test_a_narration_finished_while_an_edit_is_moderated_is_not_left_behind(
    auth_client, user, monkeypatch, django_capture_on_commit_callbacks
):
    from infinitestories.ai import moderation

    # given a narrated story whose new narration finishes while the family's edit is moderated
    first, second = saved_file("audio", "mp3"), saved_file("audio", "mp3")
    story = StoryFactory(user=user, audio_key=first, audio_generated=True, audio_duration=120.0)
    check = moderation.user_text_check

    def check_while_the_narration_lands(**kwargs):
        check(**kwargs)
        Story.objects.filter(pk=story.pk).update(audio_key=second)

    monkeypatch.setattr(moderation, "user_text_check", check_while_the_narration_lands)

    # when the edit saves new text, without asking for new narration
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.patch(
            f"/api/stories/{story.id}", {"content": "Updated story content..."}, format="json"
        )

    # then the narration the story pointed at is deleted with the stale text, not orphaned
    assert response.status_code == 200
    story.refresh_from_db()
    assert story.audio_key == ""
    assert not media_selectors.media_exists(key=second)


def test_patch_content_with_regenerate_audio_narrates_the_new_text(
    auth_client, user, django_capture_on_commit_callbacks
):
    # given a narrated story
    audio = saved_file("audio", "mp3")
    story = StoryFactory(user=user, audio_key=audio, audio_generated=True, audio_duration=120.0)

    # when its text changes and new narration is asked for (tasks run in-process here)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.patch(
            f"/api/stories/{story.id}",
            {"content": "A new, shorter story about the moon.", "regenerateAudio": True},
            format="json",
        )

    # then the answer says narration is queued, and the job narrates the new text
    assert response.status_code == 200
    regeneration = response.json()["jobs"]["audioRegeneration"]
    assert regeneration["queued"] is True
    job = GenerationJob.objects.get(story=story, kind=GenerationJob.Kind.AUDIO)
    assert regeneration["jobId"] == job.pk
    assert regeneration["estimatedCompletionTime"]
    job.refresh_from_db()
    story.refresh_from_db()
    assert job.status == GenerationJob.Status.COMPLETED
    assert story.audio_generated is True
    assert story.audio_key not in ("", audio)
    assert media_selectors.media_exists(key=story.audio_key)
    assert not media_selectors.media_exists(key=audio)
    assert story.audio_duration < 120.0


def test_patch_with_flagged_content_is_rejected_and_changes_nothing(auth_client, user):
    story = StoryFactory(user=user, content="Once upon a time.")

    response = auth_client.patch(
        f"/api/stories/{story.id}", {"content": "He grabbed a gun and shot them."}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "CONTENT_REJECTED"
    story.refresh_from_db()
    assert story.content == "Once upon a time."


def test_patch_with_the_same_content_keeps_audio(auth_client, user):
    story = StoryFactory(
        user=user, content="Once upon a time.", audio_key="audio/a.mp3", audio_generated=True
    )

    auth_client.patch(f"/api/stories/{story.id}", {"content": story.content}, format="json")

    story.refresh_from_db()
    assert (story.audio_generated, story.audio_key) == (True, "audio/a.mp3")


def test_patch_ignores_server_owned_fields(auth_client, user):
    story = StoryFactory(user=user, listen_count=3)

    response = auth_client.patch(
        f"/api/stories/{story.id}",
        {
            "listenCount": 999,
            "audioGenerated": True,
            "audioUrl": "https://evil.example/a.mp3",
            "audioDuration": 1.0,
            "heroId": "hero_x",
            "isFavorite": True,
        },
        format="json",
    )

    assert response.status_code == 200
    story.refresh_from_db()
    assert story.listen_count == 3
    assert story.audio_generated is False
    assert story.audio_key == ""
    assert story.audio_duration is None
    assert story.is_favorite is True


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"content": ""},
        {"isFavorite": "yes"},
        {"isFavorite": 1},
        {"title": 5},
        {"regenerateAudio": "true"},
        {"title": "ok", "content": 7},
    ],
)
def test_patch_with_invalid_fields_is_400_and_changes_nothing(auth_client, user, body):
    story = StoryFactory(user=user, title="Original")

    response = auth_client.patch(f"/api/stories/{story.id}", body, format="json")

    assert response.status_code == 400
    story.refresh_from_db()
    assert story.title == "Original"
    assert story.is_favorite is False


def test_patch_other_users_story_is_404_and_changes_nothing(auth_client, other_user):
    story = StoryFactory(user=other_user, title="Theirs")

    response = auth_client.patch(f"/api/stories/{story.id}", {"title": "Mine"}, format="json")

    assert response.status_code == 404
    story.refresh_from_db()
    assert story.title == "Theirs"


# --- delete ---------------------------------------------------------------------------------


def test_delete_story_removes_it_its_illustrations_and_files(
    auth_client, user, django_capture_on_commit_callbacks
):
    audio, image = saved_file("audio", "mp3"), saved_file("illustration")
    story = StoryFactory(user=user, audio_key=audio)
    StoryIllustrationFactory(story=story, image_key=image)
    hero_id = story.hero_id

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/stories/{story.id}")

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert not Story.objects.filter(pk=story.pk).exists()
    assert StoryIllustration.objects.count() == 0
    assert not media_selectors.media_exists(key=audio)
    assert not media_selectors.media_exists(key=image)
    assert auth_client.get(f"/api/heroes/{hero_id}").status_code == 200  # the hero stays


def test_delete_other_users_story_is_404_and_deletes_nothing(
    auth_client, other_user, django_capture_on_commit_callbacks
):
    audio = saved_file("audio", "mp3")
    story = StoryFactory(user=other_user, audio_key=audio)
    StoryIllustrationFactory(story=story)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/stories/{story.id}")

    assert response.status_code == 404
    assert Story.objects.filter(pk=story.pk).exists()
    assert StoryIllustration.objects.count() == 1
    assert media_selectors.media_exists(key=audio)


# --- listen ---------------------------------------------------------------------------------


def test_listen_counts_one_and_stamps_the_time(auth_client, user):
    story = StoryFactory(user=user, listen_count=5)
    before = timezone.now()

    response = auth_client.post(f"/api/stories/{story.id}/listen")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"listenCount", "lastListenedAt"}
    assert body["listenCount"] == 6
    story.refresh_from_db()
    assert story.listen_count == 6
    assert story.last_listened_at >= before


def test_listen_other_users_story_is_404_and_counts_nothing(auth_client, other_user):
    story = StoryFactory(user=other_user, listen_count=5)

    response = auth_client.post(f"/api/stories/{story.id}/listen")

    assert response.status_code == 404
    story.refresh_from_db()
    assert (story.listen_count, story.last_listened_at) == (5, None)


# --- illustrations --------------------------------------------------------------------------


def test_illustrations_list_with_total_duration(auth_client, user):
    story = StoryFactory(user=user, audio_duration=180.5)
    first = StoryIllustrationFactory(story=story, display_order=0, timestamp=30.0, duration=60.0)
    second = StoryIllustrationFactory(story=story, display_order=1, timestamp=90.0, duration=60.0)

    response = auth_client.get(f"/api/stories/{story.id}/illustrations")

    assert response.status_code == 200
    body = response.json()
    assert body["totalDuration"] == 180.5
    assert [i["id"] for i in body["illustrations"]] == [first.id, second.id]
    assert set(body["illustrations"][0]) == ILLUSTRATION_KEYS
    assert body["illustrations"][1]["timestamp"] == 90.0
    assert body["illustrations"][1]["generationStatus"] == "completed"


def test_illustrations_list_without_audio_has_null_total(auth_client, user):
    story = StoryFactory(user=user)

    body = auth_client.get(f"/api/stories/{story.id}/illustrations").json()

    assert body == {"illustrations": [], "totalDuration": None}


def test_illustrations_of_another_users_story_is_404(auth_client, other_user):
    story = StoryFactory(user=other_user)
    StoryIllustrationFactory(story=story)

    assert auth_client.get(f"/api/stories/{story.id}/illustrations").status_code == 404


def test_delete_illustration_closes_the_display_order_gap(
    auth_client, user, django_capture_on_commit_callbacks
):
    # given four illustrations 0..3
    story = StoryFactory(user=user)
    items = [
        StoryIllustrationFactory(story=story, display_order=n, image_key=saved_file("illustration"))
        for n in range(4)
    ]

    # when the second goes
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/stories/{story.id}/illustrations/{items[1].id}")

    # then the rest keep their order, numbered without a gap, and the file is gone
    assert response.status_code == 200
    assert response.json() == {"success": True}
    remaining = list(story.illustrations.order_by("display_order"))
    assert [(i.id, i.display_order) for i in remaining] == [
        (items[0].id, 0),
        (items[2].id, 1),
        (items[3].id, 2),
    ]
    assert not media_selectors.media_exists(key=items[1].image_key)
    assert media_selectors.media_exists(key=items[2].image_key)


def test_delete_illustration_of_another_users_story_is_404_and_deletes_nothing(
    auth_client, other_user
):
    story = StoryFactory(user=other_user)
    illustration = StoryIllustrationFactory(story=story)

    response = auth_client.delete(f"/api/stories/{story.id}/illustrations/{illustration.id}")

    assert response.status_code == 404
    assert StoryIllustration.objects.filter(pk=illustration.pk).exists()


def test_delete_illustration_through_own_story_but_other_story_id_is_404(
    auth_client, user, other_user
):
    mine = StoryFactory(user=user)
    theirs = StoryIllustrationFactory(story=StoryFactory(user=other_user))

    response = auth_client.delete(f"/api/stories/{mine.id}/illustrations/{theirs.id}")

    assert response.status_code == 404
    assert StoryIllustration.objects.filter(pk=theirs.pk).exists()


def test_delete_unknown_illustration_is_404(auth_client, user):
    story = StoryFactory(user=user)

    assert auth_client.delete(f"/api/stories/{story.id}/illustrations/ill_nope").status_code == 404


def test_old_narration_stays_when_its_regeneration_fails(
    auth_client, user, monkeypatch, django_capture_on_commit_callbacks
):
    from infinitestories.ai.errors import PermanentProviderError
    from infinitestories.ai.local_provider import LocalProvider
    from stories import tasks

    def tts_refuses(self, **kwargs):
        raise PermanentProviderError("voice retired", provider="local")

    monkeypatch.setattr(LocalProvider, "speak", tts_refuses)
    monkeypatch.setitem(tasks.audio_generate_task.app.conf, "task_eager_propagates", False)
    audio = saved_file("audio", "mp3")
    story = StoryFactory(user=user, audio_key=audio, audio_generated=True, audio_duration=120.0)

    with django_capture_on_commit_callbacks(execute=True):
        auth_client.patch(
            f"/api/stories/{story.id}",
            {"content": "A new text.", "regenerateAudio": True},
            format="json",
        )

    job = GenerationJob.objects.get(story=story)
    story.refresh_from_db()
    assert job.status == GenerationJob.Status.FAILED
    assert (story.audio_key, story.audio_duration, story.audio_generated) == (audio, 120.0, False)
    assert media_selectors.media_exists(key=audio)
