"""GET /api/stories/{storyId}/audio/timings: read-along word timings of the current narration."""

import pytest
from django.contrib.admin.utils import quote
from django.db import connection
from django.test.utils import CaptureQueriesContext

from infinitestories.ai import timings
from stories.models import NarrationTimings, Story
from stories.services import narration
from tests.stories.factories import StoryFactory


@pytest.fixture
def story(user):
    return StoryFactory(
        user=user, title="The Owl's Lantern", content="Hush now — the owl's lantern glows. " * 30
    )


def narrate(story: Story, captured) -> Story:
    with captured(execute=True):
        narration.audio_request(user=story.user, story=story)
    story.refresh_from_db()
    return story


def spoken(story: Story) -> list[str]:
    return [s.text for s in timings.spoken_words(f"{story.title}.\n\n{story.content}")]


def url(story: Story) -> str:
    return f"/api/stories/{story.pk}/audio/timings"


def test_before_narration_it_is_404_audio_not_generated(auth_client, story):
    response = auth_client.get(url(story))

    # The story is there, its narration not yet: its own code tells the app to wait, not drop it.
    assert response.status_code == 404
    assert response.json()["code"] == "AUDIO_NOT_GENERATED"
    assert set(response.json()) == {"error", "code", "details"}


def test_every_spoken_word_of_title_and_content_with_times_inside_the_audio(
    auth_client, story, django_capture_on_commit_callbacks
):
    story = narrate(story, django_capture_on_commit_callbacks)

    response = auth_client.get(url(story))

    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "estimated"  # the offline voice
    assert [w["text"] for w in body["words"]] == spoken(story)
    assert body["words"][:2] == [
        {"text": "The", "start": 0.0, "end": body["words"][0]["end"]},
        {"text": "Owl's", "start": body["words"][0]["end"], "end": body["words"][1]["end"]},
    ]
    starts = [w["start"] for w in body["words"]]
    assert starts == sorted(starts)
    assert all(0 <= w["start"] <= w["end"] <= story.audio_duration for w in body["words"])
    assert response["Cache-Control"] == "private, no-cache" and response["ETag"]


def test_a_client_with_the_current_etag_gets_304_without_the_words(
    auth_client, story, django_capture_on_commit_callbacks
):
    story = narrate(story, django_capture_on_commit_callbacks)
    etag = auth_client.get(url(story))["ETag"]

    response = auth_client.get(url(story), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304 and not response.content
    assert response["ETag"] == etag


def test_a_second_read_comes_from_the_cache_not_the_table(
    auth_client, story, django_capture_on_commit_callbacks
):
    story = narrate(story, django_capture_on_commit_callbacks)
    first = auth_client.get(url(story)).json()

    with CaptureQueriesContext(connection) as queries:
        second = auth_client.get(url(story)).json()

    assert second == first
    assert not any("stories_narrationtimings" in q["sql"] for q in queries.captured_queries)


def test_regenerated_audio_replaces_the_timings(
    auth_client, story, django_capture_on_commit_callbacks
):
    story = narrate(story, django_capture_on_commit_callbacks)
    before = auth_client.get(url(story))

    with django_capture_on_commit_callbacks(execute=True):
        patched = auth_client.patch(
            f"/api/stories/{story.pk}",
            {"content": "A brand new ending, softly told.", "regenerateAudio": True},
            format="json",
        )
    assert patched.status_code == 200

    after = auth_client.get(url(story))
    story.refresh_from_db()
    assert [w["text"] for w in after.json()["words"]] == spoken(story)
    assert after.json()["words"][-1]["text"] == "told"
    assert after["ETag"] != before["ETag"]
    assert list(
        NarrationTimings.objects.filter(story=story).values_list("audio_key", flat=True)
    ) == [story.audio_key]


def test_edited_text_without_new_narration_has_no_timings(
    auth_client, story, django_capture_on_commit_callbacks
):
    story = narrate(story, django_capture_on_commit_callbacks)

    auth_client.patch(f"/api/stories/{story.pk}", {"content": "Different words."}, format="json")

    response = auth_client.get(url(story))
    assert response.status_code == 404 and response.json()["code"] == "AUDIO_NOT_GENERATED"


def test_narration_made_before_read_along_existed_gets_estimated_timings(auth_client, story):
    Story.objects.filter(pk=story.pk).update(
        audio_key="audio/0123456789abcdef0123456789abcdef.mp3",
        audio_generated=True,
        audio_duration=120.0,
    )

    body = auth_client.get(url(story)).json()

    assert body["source"] == "estimated"
    assert [w["text"] for w in body["words"]] == spoken(story)
    assert body["words"][-1]["end"] == 120.0


def test_another_users_story_is_404_not_found(
    other_client, story, django_capture_on_commit_callbacks
):
    narrate(story, django_capture_on_commit_callbacks)

    response = other_client.get(url(story))

    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert other_client.get("/api/stories/story_nope/audio/timings").status_code == 404


def test_staff_see_where_a_narrations_word_times_came_from(
    story, django_capture_on_commit_callbacks
):
    from django.test import Client
    from django.urls import reverse

    from tests.accounts.factories import UserFactory

    story = narrate(story, django_capture_on_commit_callbacks)
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = staff.get(reverse("admin:stories_story_change", args=[quote(story.pk)]))
    page = response.content.decode()

    assert response.status_code == 200, response.get("Location")
    assert story.audio_key in page and "estimated" in page
    assert f">{len(spoken(story))}<" in page.replace("\n", "").replace(" ", "")
