"""Staff's runtime switches (AI, maintenance, features), blocks and review flags; each effective
at once in every process."""

import pytest
from auditlog.models import LogEntry
from django.contrib.admin.utils import quote
from django.db import connection
from django.urls import reverse

from accounts import services as account_services
from accounts.models import User
from stories.models import GenerationJob, Story, StoryIllustration
from stories.services import narration
from tests.accounts.factories import UserFactory
from tests.stories.factories import StoryFactory
from tests.usage.second_process import SecondProcess
from usage.models import AccountStanding, CostReservation, RuntimeSettings, UsageMetric
from usage.services import runtime_settings_save, standing_block, standing_unblock

SWITCHES_ON = {
    "ai_enabled": "on",
    "audio_enabled": "on",
    "illustrations_enabled": "on",
    "avatars_enabled": "on",
}


def switch(captured, **values) -> None:
    with captured(execute=True):
        runtime_settings_save(instance=RuntimeSettings(**values))


def ai_requests(api, hero, story) -> list:
    return [
        api.post("/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"),
        api.post(f"/api/stories/{story.pk}/audio", {}, format="json"),
        api.post(f"/api/stories/{story.pk}/illustrations", {"count": 1}, format="json"),
        api.post(f"/api/heroes/{hero.pk}/avatar", {}, format="json"),
        api.patch(
            f"/api/stories/{story.pk}",
            {"content": "A new quiet story.", "regenerateAudio": True},
            format="json",
        ),
    ]


def test_ai_off_refuses_every_ai_request_and_reads_keep_working(
    auth_client, hero, story, django_capture_on_commit_callbacks
):
    switch(django_capture_on_commit_callbacks, ai_enabled=False)

    answers = ai_requests(auth_client, hero, story)

    assert [a.status_code for a in answers] == [503] * 5
    assert {a.json()["code"] for a in answers} == {"AI_DISABLED"}
    assert Story.objects.count() == 1
    story.refresh_from_db()
    assert story.content != "A new quiet story."  # the refused edit wrote nothing
    assert not GenerationJob.objects.exists()
    assert not UsageMetric.objects.filter(
        operation__in=["story_generation", "audio_synthesis"]
    ).exists()
    assert auth_client.get("/api/stories").status_code == 200
    assert auth_client.get(f"/api/heroes/{hero.pk}").status_code == 200


@pytest.mark.parametrize(
    ("switch_name", "feature", "request_index"),
    [
        ("audio_enabled", "audio", 1),
        ("illustrations_enabled", "illustrations", 2),
        ("avatars_enabled", "avatars", 3),
    ],
)
def test_a_feature_switched_off_refuses_only_that_feature(
    auth_client,
    hero,
    story,
    switch_name,
    feature,
    request_index,
    django_capture_on_commit_callbacks,
):
    switch(django_capture_on_commit_callbacks, **{switch_name: False})

    answers = ai_requests(auth_client, hero, story)

    refused = answers[request_index]
    assert refused.status_code == 503
    assert refused.json()["code"] == "FEATURE_DISABLED"
    assert refused.json()["details"] == {"feature": feature}
    others = [a.status_code for i, a in enumerate(answers) if i not in (request_index, 0, 4)]
    assert all(status in (200, 202) for status in others)


def test_a_queued_job_fails_when_staff_switch_its_feature_off(
    user, story, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = narration.audio_request(user=user, story=story)
    switch(django_capture_on_commit_callbacks, audio_enabled=False)

    for callback in queued:
        callback()

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error_message.startswith("This is switched off for a moment")
    assert not UsageMetric.objects.filter(operation="audio_synthesis").exists()
    assert not CostReservation.objects.filter(ended_at__isnull=True).exists()


def test_maintenance_mode_refuses_writes_and_keeps_reads(
    auth_client, hero, story, admin_client, django_capture_on_commit_callbacks
):
    switch(django_capture_on_commit_callbacks, maintenance_mode=True)

    write = auth_client.post(
        "/api/heroes",
        {"name": "Bo", "age": 5, "traits": ["brave"], "appearance": "short hair"},
        format="json",
    )
    delete = auth_client.delete(f"/api/stories/{story.pk}")

    assert (write.status_code, write.json()["code"]) == (503, "MAINTENANCE")
    assert write["Retry-After"] == "300"
    assert delete.status_code == 503
    assert Story.objects.filter(pk=story.pk).exists()
    assert auth_client.get("/api/heroes").status_code == 200
    assert auth_client.get(f"/api/stories/{story.pk}").status_code == 200
    # staff can still reach the admin to switch it off
    assert admin_client.get("/admin/usage/runtimesettings/1/change/").status_code == 200


# --- Blocks and review flags ---------------------------------------------------------------------


def test_a_blocked_user_gets_403_on_ai_work_until_unblocked(auth_client, user, hero, story):
    standing_block(user=user, reason="chargeback")

    answers = ai_requests(auth_client, hero, story)

    assert [a.status_code for a in answers] == [403] * 5
    assert {a.json()["code"] for a in answers} == {"ACCOUNT_BLOCKED"}
    assert auth_client.get("/api/stories").status_code == 200
    assert not GenerationJob.objects.exists()

    standing_unblock(user=user)
    assert auth_client.post(f"/api/stories/{story.pk}/audio", {}, format="json").status_code == 202


def test_work_queued_before_a_block_does_not_run_after_it(
    auth_client, user, story, django_capture_on_commit_callbacks
):
    # given narration queued, its task not run yet
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert (
            auth_client.post(f"/api/stories/{story.pk}/audio", {}, format="json").status_code == 202
        )
    job = GenerationJob.objects.get(story=story)

    # when staff block the account before a worker takes the job
    standing_block(user=user, reason="chargeback")
    for callback in queued:
        callback()

    # then it fails with the block's message, nothing sent to a vendor, nothing held
    job.refresh_from_db()
    assert job.status == "failed"
    assert not UsageMetric.objects.filter(operation="audio_synthesis").exists()
    assert not CostReservation.objects.filter(ended_at__isnull=True).exists()


def test_staff_block_in_the_admin_is_audited_with_before_and_after(admin_client, admin_user):
    user = UserFactory(consent=False)  # no consent history: no rows in that inline's form
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[quote(user.pk)]),
        {
            "email": user.email,
            "name": user.name,
            "preferred_language": "en",
            "theme_preference": "system",
            "subscription_tier": "premium",
            "is_active": "on",
            "standing-TOTAL_FORMS": "1",
            "standing-INITIAL_FORMS": "0",
            "standing-0-blocked": "on",
            "standing-0-block_reason": "abuse report",
            "standing-0-user": user.pk,
            "story_quota-TOTAL_FORMS": "0",
            "story_quota-INITIAL_FORMS": "0",
            "bearer_sessions-TOTAL_FORMS": "0",
            "bearer_sessions-INITIAL_FORMS": "0",
            "parental_consents-TOTAL_FORMS": "0",
            "parental_consents-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    standing = AccountStanding.objects.get(user=user)
    assert standing.blocked and standing.block_reason == "abuse report"
    assert standing.blocked_at is not None
    entries = {
        (entry.content_type.model, entry.actor_id): entry.changes_dict
        for entry in LogEntry.objects.filter(object_pk=user.pk)
    }
    assert entries[("accountstanding", admin_user.pk)]["blocked"] == ["None", "True"]
    assert entries[("user", admin_user.pk)] == {"subscription_tier": ["free", "premium"]}


def test_repeated_limit_refusals_flag_the_user_for_review_without_blocking(
    auth_client, user, story, settings, admin_client
):
    settings.RATE_LIMITS = "audio_generation=1/h"
    settings.REVIEW_FLAG_REFUSALS = 3
    assert auth_client.post(f"/api/stories/{story.pk}/audio", {}, format="json").status_code == 202
    other = StoryFactory(user=user)

    answers = [
        auth_client.post(f"/api/stories/{other.pk}/audio", {}, format="json") for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [429] * 3
    standing = AccountStanding.objects.get(user=user)
    assert standing.flagged_for_review and not standing.blocked
    assert "3 requests refused for limits" in standing.flag_reason
    flagged = admin_client.get("/admin/accounts/user/?standing__flagged_for_review__exact=1")
    assert user.email in flagged.content.decode()
    assert list(
        User.objects.filter(standing__flagged_for_review=True).values_list("pk", flat=True)
    ) == [user.pk]


# --- Across processes ------------------------------------------------------------------------------


@pytest.mark.e2e
def test_a_switch_flipped_in_the_admin_takes_effect_in_another_process(
    transactional_db, user, admin_client
):
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://..."
    _, token = account_services.session_create(user=user, ip_address="", user_agent="tests")
    stories = [StoryFactory(user=user) for _ in range(2)]
    other = SecondProcess()
    try:
        before = other.request("POST", f"/api/stories/{stories[0].pk}/audio", token)

        admin_client.get("/admin/usage/runtimesettings/")  # opens the one row, made if need be
        flipped = admin_client.post(
            "/admin/usage/runtimesettings/1/change/", {**SWITCHES_ON, "ai_enabled": ""}
        )
        after = other.request("POST", f"/api/stories/{stories[1].pk}/audio", token)
    finally:
        other.stop()

    assert before == {"status": 202, "code": None}
    assert flipped.status_code == 302
    assert after == {"status": 503, "code": "AI_DISABLED"}


@pytest.mark.e2e
def test_the_narration_limit_holds_across_two_processes_sharing_redis(
    transactional_db, user, auth_client
):
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://..."
    _, token = account_services.session_create(user=user, ip_address="", user_agent="tests")
    stories = [StoryFactory(user=user) for _ in range(21)]
    for story in stories[:15]:  # this process narrates 15
        assert (
            auth_client.post(f"/api/stories/{story.pk}/audio", {}, format="json").status_code == 202
        )
    other = SecondProcess()
    try:
        answers = [other.request("POST", f"/api/stories/{s.pk}/audio", token) for s in stories[15:]]
    finally:
        other.stop()

    assert answers == [{"status": 202, "code": None}] * 5 + [
        {"status": 429, "code": "RATE_LIMITED"}
    ]
    assert GenerationJob.objects.count() == 20
    assert not StoryIllustration.objects.exists()
