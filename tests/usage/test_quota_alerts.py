"""US-026: a family hears once at 80 % and once at 100 % of its monthly stories, in its own
language; the usage endpoint and the profile show the same banner state."""

import datetime

import pytest
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


# The 100 % e-mail of a two-story plan, and words of its body, in each language.
AT_LIMIT = {
    "es": ("Has usado tus 2 cuentos de este mes", "los nuevos cuentos se desbloquean el día 1."),
    "fr": (
        "Vous avez utilisé vos 2 histoires ce mois-ci",
        "de nouvelles histoires arrivent le 1er.",
    ),
    "de": (
        "Du hast alle 2 Geschichten in diesem Monat genutzt",
        "am Monatsersten gibt es neue Geschichten.",
    ),
    "it": (
        "Hai usato tutte le 2 storie di questo mese",
        "le nuove storie arrivano il primo del mese.",
    ),
}


@pytest.mark.parametrize("language", list(AT_LIMIT))
def test_the_emails_speak_the_familys_language(
    auth_client, user, hero, django_capture_on_commit_callbacks, language
):
    user.preferred_language = language
    user.save()
    put_on_plan(user, code="two", stories_per_month=2)

    write_story(auth_client, hero, django_capture_on_commit_callbacks)  # 50 %
    write_story(auth_client, hero, django_capture_on_commit_callbacks)  # 100 %

    # reaching 100 % at once sends the 100 % e-mail only, and never the 80 % one later
    subject, last_words = AT_LIMIT[language]
    assert [m.subject for m in mail.outbox] == [subject]
    assert mail.outbox[0].body.split("\n\n")[1].endswith(last_words)


def test_the_80_percent_email_in_french(
    auth_client, user, hero, django_capture_on_commit_callbacks
):
    user.preferred_language = "fr"
    user.save()
    put_on_plan(user, code="five", stories_per_month=5)

    for _ in range(4):
        write_story(auth_client, hero, django_capture_on_commit_callbacks)

    (near,) = mail.outbox
    assert near.subject == "Vous avez utilisé 4 histoires sur 5 ce mois-ci"
    assert near.body == (
        f"Bonjour {user.name},\n\n"
        "Vous avez créé 4 histoires sur les 5 comprises dans votre formule ce mois-ci. De "
        "nouvelles histoires arrivent le 1er.\n\n"
        "Faites de beaux rêves,\nInfiniteStories"
    )


@pytest.mark.parametrize(
    ("language", "subject"),
    [("en", "You have used your one story this month"), ("es", "Has usado tu cuento de este mes")],
)
def test_a_one_story_plan_says_one_story(
    auth_client, user, hero, django_capture_on_commit_callbacks, language, subject
):
    user.preferred_language = language
    user.save()
    put_on_plan(user, code="one", stories_per_month=1)

    write_story(auth_client, hero, django_capture_on_commit_callbacks)

    assert [m.subject for m in mail.outbox] == [subject]


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
