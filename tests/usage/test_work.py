"""usage.services.work: the one life of paid AI work (admitted -> running -> settled | released),
and the fact that nothing outside usage touches the counters, reservations or rate-limit units."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from infinitestories.api.errors import ApplicationError
from tests.accounts.factories import UserFactory
from tests.usage.factories import put_on_plan
from usage.models import CostReservation, SpendCounter
from usage.selectors import GLOBAL_SCOPE, runtime_settings
from usage.services import (
    Piece,
    WorkStopped,
    ai_work,
    ai_work_abandon,
    ai_work_admit,
    ai_work_check,
    ai_work_end,
    ai_work_hand_over,
    ai_work_refusal,
    ai_work_start,
    ai_work_stop,
    ai_work_stopped,
    ai_works_admit,
    ai_works_release_stale,
    runtime_settings_save,
    standing_block,
)

ROOT = Path(__file__).resolve().parents[2]
# What only usage may touch: the spend counters, the reservations, the rate-limit units.
FORBIDDEN = re.compile(
    r"\bSpendCounter\b|\bCostReservation\b|\bcost_reserve\b|\bcost_reservation_end\b"
    r"|\bunits_charge\b|\bunits_refund\b|usage\.services\.(spend|admission)\b"
)
ALLOWED = {
    # the rate limiter defines the units (usage.services.admission is its one caller)
    "infinitestories/api/ratelimit.py",
    # a job's one-to-one link to its work, and the migration that made it
    "stories/models.py",
    "stories/migrations/0008_job_typed_fields.py",
}
# The modules that admit paid work, each through the lifecycle API.
DOORS = {
    "heroes/services.py",  # the avatar
    "stories/services/stories.py",  # a story with its narration and pictures
    "stories/services/narration.py",  # narration, and an edit narrated again
    "stories/services/illustrations.py",  # pictures
    "stories/services/jobs.py",  # staff re-queue
}


@pytest.fixture
def priced(settings):
    """Narration priced at OpenAI's list price (the offline voice is free)."""
    settings.AI_TTS_PROVIDER_CHAIN = ["openai"]


def reserved(scope) -> Decimal:
    return sum(
        (c.reserved for c in SpendCounter.objects.filter(scope=scope, period="month")),
        Decimal(0),
    )


def code_files():
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.split("/")[0] in {".venv", "tests", "usage", "node_modules"}:
            continue
        yield relative, path.read_text()


def test_nothing_outside_usage_touches_counters_reservations_or_rate_limit_units():
    offenders = [
        f"{relative}:{number}: {line.strip()}"
        for relative, text in code_files()
        if relative not in ALLOWED
        for number, line in enumerate(text.splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert offenders == []


def test_every_path_that_admits_paid_work_goes_through_the_lifecycle_api():
    admits = re.compile(r"\b(ai_work_admit|ai_works_admit|ai_work_renew)\(|\bwith ai_work\(")
    found = {relative for relative, text in code_files() if admits.search(text)}
    assert found == DOORS


# --- The life of one piece of work ----------------------------------------------------------------


def test_work_done_in_a_request_is_settled_on_exit_and_holds_nothing(user, priced):
    with ai_work(user=user, operation="audio_synthesis", characters=2000) as work:
        assert CostReservation.objects.get(pk=work.pk).state == "running"
        assert reserved(user.pk) == work.amount > 0
    work.refresh_from_db()
    assert (work.state, reserved(user.pk)) == ("settled", 0)
    assert work.started_at <= work.ended_at


def test_work_done_in_a_request_that_fails_is_ended_too(user, priced):
    with pytest.raises(ZeroDivisionError), ai_work(user=user, operation="audio_synthesis") as work:
        1 / 0  # noqa: B018
    assert CostReservation.objects.get(pk=work.pk).state == "settled"
    assert reserved(user.pk) == 0


def test_several_pieces_are_admitted_all_or_none(user, priced):
    # given an allowance for a story and narration, not for three pictures on top
    story_and_narration = sum(
        w.amount
        for w in ai_works_admit(
            user=user,
            pieces=[Piece(operation="story_generation"), Piece(operation="audio_synthesis")],
        )
    )
    CostReservation.objects.all().delete()
    SpendCounter.objects.all().delete()
    put_on_plan(user, code="tight", daily_cost_ceiling=story_and_narration + Decimal("0.001"))

    with pytest.raises(ApplicationError) as refused:
        ai_works_admit(
            user=user,
            pieces=[
                Piece(operation="story_generation"),
                Piece(operation="audio_synthesis"),
                Piece(operation="image_generation", units=3),
            ],
        )

    assert refused.value.code == "QUOTA_EXCEEDED"
    assert reserved(user.pk) == 0
    assert set(CostReservation.objects.values_list("state", flat=True)) == {"released"}


def test_work_never_handed_over_is_given_back_with_its_units(user, settings):
    settings.RATE_LIMITS = "audio_generation=1/h"
    work = ai_work_admit(user=user, operation="audio_synthesis")

    assert ai_work_abandon(work=work) is True

    assert CostReservation.objects.get(pk=work.pk).state == "released"
    # the unit counted for it is back: the next narration is admitted
    ai_work_admit(user=user, operation="audio_synthesis")


def test_work_a_job_holds_is_not_abandoned_by_the_request(user):
    work = ai_work_admit(user=user, operation="audio_synthesis")
    ai_work_hand_over(work=work)

    assert ai_work_abandon(work=work) is False
    assert CostReservation.objects.get(pk=work.pk).state == "admitted"


def test_work_ends_exactly_once(user, priced):
    work = ai_work_admit(user=user, operation="audio_synthesis")
    ai_work_start(work=work)

    assert [ai_work_end(work=work), ai_work_end(work=work)] == [True, False]
    assert reserved(user.pk) == 0


def test_stopping_work_no_worker_has_ends_it_at_once(user, priced):
    work = ai_work_admit(user=user, operation="audio_synthesis")

    assert ai_work_stop(work=work, reason="replaced", running=False) is True

    assert CostReservation.objects.get(pk=work.pk).state == "released"
    assert reserved(user.pk) == 0


def test_stopping_running_work_holds_it_until_its_worker_stops(user, priced):
    work = ai_work_admit(user=user, operation="audio_synthesis")
    ai_work_hand_over(work=work)
    ai_work_start(work=work)

    assert ai_work_stop(work=work, reason="withdrawn", running=True) is False

    assert reserved(user.pk) == work.amount
    with pytest.raises(WorkStopped):
        ai_work_check(work=work)
    assert ai_work_end(work=work) is True
    assert reserved(user.pk) == 0


def test_a_job_starting_after_a_block_is_refused(user):
    work = ai_work_admit(user=user, operation="audio_synthesis")
    standing_block(user=user, reason="abuse")

    with pytest.raises(ApplicationError) as refused:
        ai_work_start(work=work)

    assert refused.value.code == "ACCOUNT_BLOCKED"
    assert CostReservation.objects.get(pk=work.pk).state == "admitted"


def test_work_of_a_request_that_died_is_released_after_its_lease(user, priced):
    # given work admitted by a request that died before ending it (its database went away)
    work = ai_work_admit(user=user, operation="audio_synthesis")
    held_by_a_job = ai_work_admit(user=user, operation="audio_synthesis")
    ai_work_hand_over(work=held_by_a_job)
    CostReservation.objects.filter(pk__in=[work.pk, held_by_a_job.pk]).update(
        lease_until=timezone.now() - timezone.timedelta(seconds=1)
    )
    CostReservation.objects.filter(pk=held_by_a_job.pk).update(lease_until=None)

    assert ai_works_release_stale() == 1

    assert CostReservation.objects.get(pk=work.pk).state == "released"
    assert CostReservation.objects.get(pk=held_by_a_job.pk).ended_at is None
    assert reserved(GLOBAL_SCOPE) == held_by_a_job.amount


def test_stopped_work_whose_worker_is_gone_is_ended_by_the_sweeper(user, settings, priced):
    settings.AI_JOB_STALE_AFTER = 60
    work = ai_work_admit(user=user, operation="audio_synthesis")
    ai_work_hand_over(work=work)
    ai_work_start(work=work)
    ai_work_stop(work=work, reason="deleted", running=True)
    assert ai_works_release_stale() == 0  # its worker may still be finishing a paid call

    CostReservation.objects.filter(pk=work.pk).update(
        stop_requested_at=timezone.now() - timezone.timedelta(seconds=121)
    )

    assert ai_works_release_stale() == 1
    assert reserved(user.pk) == 0


def test_another_users_work_is_untouched(priced):
    mine, theirs = UserFactory(), UserFactory()
    work = ai_work_admit(user=mine, operation="audio_synthesis")
    other = ai_work_admit(user=theirs, operation="audio_synthesis")

    ai_work_end(work=work)

    assert CostReservation.objects.get(pk=other.pk).ended_at is None
    assert reserved(theirs.pk) == other.amount


def running(user, operation: str = "audio_synthesis"):
    work = ai_work_admit(user=user, operation=operation)
    ai_work_hand_over(work=work)
    ai_work_start(work=work)
    return work


def test_a_staff_block_stops_the_accounts_running_work_before_its_next_paid_call(
    user, priced, django_capture_on_commit_callbacks
):
    narrating, waiting = running(user), ai_work_admit(user=user, operation="audio_synthesis")
    someone_elses = running(UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        standing_block(user=user, reason="abuse")

    # the worker's check before each piece (no database) sees it; the money stays held until
    # the worker ends the work
    assert ai_work_stopped(work_id=narrating.pk)
    assert CostReservation.objects.get(pk=narrating.pk).stop_reason == "ACCOUNT_BLOCKED"
    assert reserved(user.pk) == narrating.amount + waiting.amount
    assert ai_work_refusal(work=narrating).code == "ACCOUNT_BLOCKED"
    # work not started yet is refused when it starts; another family's goes on
    assert not ai_work_stopped(work_id=waiting.pk)
    assert not ai_work_stopped(work_id=someone_elses.pk)
    ai_work_check(work=someone_elses)


def test_a_feature_switched_off_stops_only_that_features_running_work(
    user, priced, django_capture_on_commit_callbacks
):
    narrating = running(user, "audio_synthesis")
    drawing = running(user, "image_generation")
    switches = runtime_settings()
    switches.audio_enabled = False

    with django_capture_on_commit_callbacks(execute=True):
        runtime_settings_save(instance=switches)

    assert ai_work_stopped(work_id=narrating.pk)
    assert ai_work_refusal(work=narrating).code == "FEATURE_DISABLED"
    assert not ai_work_stopped(work_id=drawing.pk)
    assert ai_work_refusal(work=drawing) is None
