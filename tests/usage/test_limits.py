"""Every AI operation counts against its limit whatever path starts it, and the plan says what a
family may choose (usage.ai_work_admit)."""

import pytest

from stories.models import GenerationJob, Story, StoryIllustration
from tests.admin_urls import admin_url
from tests.helpers import post_story
from tests.stories.factories import StoryFactory
from tests.usage.factories import put_on_plan, set_quota
from usage.models import Plan, UsageMetric
from usage.selectors import seconds_until_next_month


def patch_new_text(api, story, n: int, captured):
    with captured(execute=True):
        return api.patch(
            f"/api/stories/{story.pk}",
            {"content": f"Version {n}: a quiet walk under the stars.", "regenerateAudio": True},
            format="json",
        )


def test_patch_regenerate_audio_is_refused_at_the_21st_narration_in_an_hour(
    auth_client, story, settings, django_capture_on_commit_callbacks
):
    # given story edits themselves are not what limits here
    settings.RATE_LIMITS = "story_update=100/m"

    # when the family edits and re-narrates 21 times
    answers = [
        patch_new_text(auth_client, story, n, django_capture_on_commit_callbacks)
        for n in range(1, 22)
    ]

    # then 20 narrations were queued and made, the 21st refused before anything was queued
    assert [a.status_code for a in answers[:20]] == [200] * 20
    refused = answers[20]
    assert refused.status_code == 429
    assert refused.json()["code"] == "RATE_LIMITED"
    assert refused.json()["details"]["limit"] == "audio_generation"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert GenerationJob.objects.filter(story=story, kind="audio").count() == 20
    assert UsageMetric.objects.filter(operation="audio_synthesis").count() == 20
    story.refresh_from_db()
    assert story.content.startswith("Version 20:")  # the refused edit changed nothing


def test_post_audio_and_patch_share_one_narration_limit(
    auth_client, user, hero, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = "audio_generation=3/h"
    stories = [StoryFactory(user=user, hero=hero) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            auth_client.post(f"/api/stories/{stories[0].pk}/audio", {}, format="json").status_code
            == 202
        )
        assert (
            auth_client.post(f"/api/stories/{stories[1].pk}/audio", {}, format="json").status_code
            == 202
        )
    assert (
        patch_new_text(auth_client, stories[2], 1, django_capture_on_commit_callbacks).status_code
        == 200
    )

    refused = auth_client.post(
        f"/api/stories/{stories[2].pk}/audio", {"voice": "echo"}, format="json"
    )

    assert refused.status_code == 429
    assert refused.json()["details"]["limit"] == "audio_generation"


def test_illustrations_count_pictures_not_requests(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    # given a family that already had three pictures drawn this hour (PRD: 5 an hour)
    first, second = StoryFactory(user=user, hero=hero), StoryFactory(user=user, hero=hero)
    with django_capture_on_commit_callbacks(execute=True):
        drawn = auth_client.post(
            f"/api/stories/{first.pk}/illustrations", {"count": 3}, format="json"
        )
    assert drawn.status_code == 202

    # when it asks for three more, then for two
    too_many = auth_client.post(
        f"/api/stories/{second.pk}/illustrations", {"count": 3}, format="json"
    )
    with django_capture_on_commit_callbacks(execute=True):
        two = auth_client.post(
            f"/api/stories/{second.pk}/illustrations", {"count": 2}, format="json"
        )

    # then the three would pass five pictures and are refused, with nothing queued; two fit
    assert too_many.status_code == 429
    assert too_many.json()["details"] == {
        "limit": "illustration_generation",
        "retryAfter": int(too_many["Retry-After"]),
    }
    assert two.status_code == 202
    assert StoryIllustration.objects.filter(story=second).count() == 2
    assert (
        auth_client.post(
            f"/api/stories/{second.pk}/illustrations", {"count": 1}, format="json"
        ).status_code
        == 429
    )


def test_a_story_with_pictures_counts_its_pictures_before_anything_is_written(
    auth_client, user, hero
):
    # given four pictures already drawn this hour
    story = StoryFactory(user=user, hero=hero)
    assert (
        auth_client.post(
            f"/api/stories/{story.pk}/illustrations", {"count": 3}, format="json"
        ).status_code
        == 202
    )
    other = StoryFactory(user=user, hero=hero)
    assert (
        auth_client.post(
            f"/api/stories/{other.pk}/illustrations", {"count": 1}, format="json"
        ).status_code
        == 202
    )
    stories_before = Story.objects.count()

    # when a new story asks for three pictures
    response = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "generateIllustrations": True},
        format="json",
    )

    # then nothing is written: no story, no story_generation call, no quota charged
    assert response.status_code == 429
    assert response.json()["details"]["limit"] == "illustration_generation"
    assert Story.objects.count() == stories_before
    assert not UsageMetric.objects.filter(operation="story_generation").exists()
    # and the story's own unit was given back: ten stories an hour still fit
    assert (
        auth_client.post(
            "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
        ).status_code
        == 201
    )


def test_avatars_count_as_avatar_generation(auth_client, hero):
    answers = [
        auth_client.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json") for _ in range(6)
    ]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[5].json()["details"]["limit"] == "avatar_generation"
    assert UsageMetric.objects.filter(operation="avatar_generation").count() == 5


def test_quota_exceeded_carries_retry_after_until_the_month_turns(auth_client, user, hero):
    set_quota(user, used=10)

    response = auth_client.post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "QUOTA_EXCEEDED"
    assert body["details"]["limit"] == "monthly_stories"
    retry = int(response["Retry-After"])
    assert abs(retry - seconds_until_next_month()) <= 2
    assert body["details"]["retryAfter"] == retry


# --- Plans ---------------------------------------------------------------------------------------


def test_seeded_plans_follow_the_subscription_tier(user, other_user, auth_client, other_client):
    other_user.subscription_tier = "premium"
    other_user.save()

    free = auth_client.get("/api/user/profile").json()["user"]
    premium = other_client.get("/api/user/profile").json()["user"]

    assert (free["subscriptionTier"], free["monthlyStoriesLimit"]) == ("free", 10)
    assert (premium["subscriptionTier"], premium["monthlyStoriesLimit"]) == ("premium", 30)
    assert set(Plan.objects.values_list("code", flat=True)) >= {"free", "premium"}


def test_changing_a_plan_applies_to_the_next_request(auth_client, user, hero):
    plan = put_on_plan(user, code="tiny", stories_per_month=1)
    assert post_story(auth_client, hero).status_code == 201
    assert post_story(auth_client, hero).status_code == 429

    plan.stories_per_month = 2
    plan.save()

    response = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False},
        format="json",
    )
    assert response.status_code == 201
    assert auth_client.get("/api/user/usage").json()["limits"]["storiesLimit"] == 2


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/stories", {"eventType": "bedtime", "priority": "high"}),
        ("/api/stories/{story}/audio", {"priority": "high"}),
        ("/api/stories/{story}/illustrations", {"count": 1, "priority": "high"}),
    ],
)
def test_high_priority_needs_a_plan_that_allows_it(auth_client, user, hero, story, path, body):
    stories_before = Story.objects.count()

    response = auth_client.post(
        path.format(story=story.pk), {"heroId": hero.pk, **body}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "error": "Your plan does not include this. Upgrade to use it.",
        "code": "NOT_IN_PLAN",
        "details": {"feature": "high_priority"},
    }
    assert Story.objects.count() == stories_before
    assert not GenerationJob.objects.exists()
    assert not StoryIllustration.objects.exists()
    assert not UsageMetric.objects.exists()


def test_a_story_refused_for_its_pictures_uses_none_of_the_hourly_stories(
    auth_client, hero, settings
):
    # given two stories an hour, on the free plan (at most 3 pictures a story)
    settings.RATE_LIMITS = "story_generation=2/h"

    # when the family asks twice for a story with more pictures than the plan allows
    refused = [
        post_story(auth_client, hero, generateIllustrations=True, illustrationCount=4)
        for _ in range(2)
    ]

    # then both were refused, and both stories of the hour are still there to ask for
    assert [r.json()["code"] for r in refused] == ["NOT_IN_PLAN"] * 2
    assert [post_story(auth_client, hero).status_code for _ in range(2)] == [201, 201]
    assert post_story(auth_client, hero).json()["details"]["limit"] == "story_generation"
    assert Story.objects.count() == 2


def test_premium_plan_may_choose_high_priority_and_premium_voices(
    auth_client, user, story, django_capture_on_commit_callbacks
):
    user.subscription_tier = "premium"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            f"/api/stories/{story.pk}/audio",
            {"priority": "high", "voice": "shimmer"},
            format="json",
        )

    assert response.status_code == 202
    assert GenerationJob.objects.get(story=story).priority == "high"


def test_premium_voices_need_a_plan_that_includes_them(auth_client, story):
    response = auth_client.post(
        f"/api/stories/{story.pk}/audio", {"voice": "shimmer"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["details"] == {"feature": "premium_voices"}
    assert not GenerationJob.objects.exists()


def test_pictures_per_story_come_from_the_plan(auth_client, user, story):
    asked = auth_client.post(f"/api/stories/{story.pk}/illustrations", {"count": 4}, format="json")
    assert asked.status_code == 403
    assert asked.json()["details"] == {"feature": "pictures_per_story", "allowed": 3}

    assert (
        auth_client.post(
            f"/api/stories/{story.pk}/illustrations", {"count": 2}, format="json"
        ).status_code
        == 202
    )
    more = auth_client.post(f"/api/stories/{story.pk}/illustrations", {"count": 2}, format="json")
    assert more.status_code == 403  # 2 + 2 pictures on one story
    assert StoryIllustration.objects.filter(story=story).count() == 2


def test_a_plan_without_illustrations_refuses_them(auth_client, user, story):
    put_on_plan(user, code="words-only", illustrations=False)

    response = auth_client.post(
        f"/api/stories/{story.pk}/illustrations", {"count": 1}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["details"] == {"feature": "illustrations"}


def test_the_plan_sets_picture_quality_and_size(
    auth_client, user, story, django_capture_on_commit_callbacks, monkeypatch
):
    from infinitestories.ai.local_provider import LocalProvider

    asked = []
    original = LocalProvider.draw

    def draw(self, **kwargs):
        asked.append((kwargs["quality"], kwargs["size"]))
        return original(self, **kwargs)

    monkeypatch.setattr(LocalProvider, "draw", draw)
    put_on_plan(user, code="portrait", image_quality="medium", image_size="1024x1536")

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            f"/api/stories/{story.pk}/illustrations", {"count": 2}, format="json"
        )

    assert response.status_code == 202
    assert asked == [("medium", "1024x1536")] * 2


def test_the_free_plan_cannot_be_deleted_in_the_admin(admin_client):
    free = Plan.objects.get(code="free")

    response = admin_client.post(admin_url(free, "delete"), {"post": "yes"}, format="json")

    assert response.status_code == 403
    assert Plan.objects.filter(code="free").exists()


@pytest.mark.servers  # two requests in two threads on PostgreSQL, at the same moment
def test_two_parallel_picture_requests_cannot_both_pass_the_pictures_per_story_cap(
    transactional_db, user, monkeypatch, settings
):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    from stories import tasks
    from tests.helpers import client_for
    from tests.stories.factories import StoryIllustrationFactory

    # given a story with one picture, on a plan of three pictures a story, its jobs left queued
    monkeypatch.setattr(tasks.illustrations_generate_task, "apply_async", lambda **kwargs: None)
    settings.RATE_LIMITS = "illustration_generation=100/h"
    put_on_plan(user, code="three-pictures", pictures_per_story=3, illustrations=True)
    story = StoryFactory(user=user)
    StoryIllustrationFactory(story=story)
    start = Barrier(2)

    def ask_for_two(api):
        try:
            start.wait()
            response = api.post(
                f"/api/stories/{story.pk}/illustrations", {"count": 2}, format="json"
            )
            return response.status_code, response.json().get("details", {}).get("feature")
        finally:
            connection.close()

    # when two requests for two more pictures arrive together
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = sorted(pool.map(ask_for_two, [client_for(user), client_for(user)]), key=str)

    # then one fits and the other is refused: the story never passes three pictures
    assert answers == [(202, None), (403, "pictures_per_story")]
    assert StoryIllustration.objects.filter(story=story).count() == 3
