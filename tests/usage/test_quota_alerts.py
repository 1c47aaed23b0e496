"""US-026: a family hears once at 80 % and once at 100 % of its monthly stories, in its own
language; the usage endpoint and the profile show the same banner state."""

import datetime

from django.core import mail

from tests.usage.factories import put_on_plan, set_quota
from usage.models import QuotaResetRun, StoryQuota, quota_period_current
from usage.services import monthly_quota_reset


def write_story(api, hero, captured):
    with captured(execute=True):
        return api.post(
            "/api/stories",
            {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False},
            format="json",
        )


def banner(api) -> tuple:
    usage = api.get("/api/user/usage").json()["limits"]["alert"]
    profile = api.get("/api/user/profile").json()["user"]["usageAlert"]
    return usage, profile


def test_the_80_and_100_percent_emails_go_once_each(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    put_on_plan(user, code="five", stories_per_month=5)
    seen = []

    for _ in range(6):  # the sixth is refused
        write_story(auth_client, hero, django_capture_on_commit_callbacks)
        seen.append((len(mail.outbox), banner(auth_client)))

    assert seen == [
        (0, (None, None)),
        (0, (None, None)),
        (0, (None, None)),
        (1, ("near_limit", "near_limit")),  # 4 of 5: 80 %
        (2, ("at_limit", "at_limit")),
        (2, ("at_limit", "at_limit")),
    ]
    near, at = mail.outbox
    assert near.to == at.to == [user.email]
    assert near.subject == "You have used 4 of your 5 stories this month"
    assert at.subject == "You have used all 5 stories this month"


def test_the_emails_speak_the_familys_language(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    user.preferred_language = "es"
    user.save()
    put_on_plan(user, code="two", stories_per_month=2)

    write_story(auth_client, hero, django_capture_on_commit_callbacks)  # 50 %
    write_story(auth_client, hero, django_capture_on_commit_callbacks)  # 100 %

    # reaching 100 % at once sends the 100 % e-mail only, and never the 80 % one later
    assert [m.subject for m in mail.outbox] == ["Has usado tus 2 cuentos de este mes"]
    assert "se desbloquean el día 1" in mail.outbox[0].body


def test_a_new_month_can_warn_again(auth_client, user, hero, django_capture_on_commit_callbacks):
    put_on_plan(user, code="one", stories_per_month=1)
    write_story(auth_client, hero, django_capture_on_commit_callbacks)
    last_month = (quota_period_current() - datetime.timedelta(days=1)).replace(day=1)
    # as if that story and its e-mail were last month's
    StoryQuota.objects.filter(user=user).update(
        period_start=last_month, warned_near_limit_for=last_month, warned_at_limit_for=last_month
    )

    assert write_story(auth_client, hero, django_capture_on_commit_callbacks).status_code == 201

    assert len(mail.outbox) == 2


def test_every_reset_run_is_recorded_and_a_second_run_resets_nothing(user, other_user):
    last_month = (quota_period_current() - datetime.timedelta(days=1)).replace(day=1)
    set_quota(user, used=7, period_start=last_month)
    set_quota(other_user, used=2)

    assert monthly_quota_reset() == 1
    assert monthly_quota_reset() == 0

    assert list(QuotaResetRun.objects.order_by("ran_at").values_list("users_reset", flat=True)) == [
        1,
        0,
    ]
