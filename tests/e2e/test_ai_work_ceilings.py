"""Issue 17 on a real Celery worker, PostgreSQL, Redis, moto's S3 and the fake OpenAI server: a
free family cannot spend past its ceilings by swapping voices or withdrawing consent while a
narration runs, and after a withdrawal not one more request about the child reaches the vendor.

    DATABASE_URL=postgres://... REDIS_URL=redis://... pytest -m e2e tests/e2e
"""

import os
from decimal import Decimal

import pytest
from django.utils import timezone

from stories.models import GenerationJob
from tests.helpers import wait_for
from tests.stories.factories import StoryFactory
from tests.usage.factories import put_on_plan
from usage.errors import account_blocked
from usage.models import CostReservation, SpendCounter, UsageMetric
from usage.services import standing_block

# OpenAI narrates here, whatever day the suite runs on (TEST_TODAY).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("openai_speech_alive")]

# Four pieces of narration (the vendor takes 4096 characters a request).
LONG = " ".join(f"Sentence number {i} tells of a calm and happy star." for i in range(300))
SPEECH, TRANSCRIPTION = "/v1/audio/speech", "/v1/audio/transcriptions"


def all_work_ended(user) -> bool:
    return not CostReservation.objects.filter(user=user, ended_at__isnull=True).exists() and (
        not GenerationJob.objects.active().filter(user=user).exists()
    )


def today(user) -> SpendCounter:
    """The family's day counter: the one the workers wrote, under their own clock's day (which
    may not be TEST_TODAY's; a test runs within one day)."""
    return SpendCounter.objects.get(scope=user.pk, period="day")


def test_after_a_withdrawal_mid_narration_not_one_more_request_reaches_the_vendor(
    e2e, web, openai_provider, user
):
    # given a long narration under way on the deployed web and worker, one piece at a time
    e2e(AI_TTS_CONCURRENCY="1")
    openai_provider.delay[SPEECH] = 0.5
    story = StoryFactory(user=user, content=LONG)
    app = web.client(user)
    assert app.post(f"/api/stories/{story.pk}/audio", json={}).status_code == 202
    wait_for(lambda: openai_provider.calls(SPEECH), timeout=60, message="the first piece")

    # when a parent withdraws consent in the app
    assert app.delete("/api/user/consent").status_code == 200
    withdrawn_at = timezone.now().timestamp()

    # then the worker stops before its next paid call and ends its work; nothing arrives after
    wait_for(lambda: all_work_ended(user), timeout=60, message="the work to end")
    late = [
        call.path
        for call in openai_provider.calls("/v1/audio")
        if call.at > withdrawn_at + 0.05  # (the clock of the fake's thread, not a race)
    ]
    assert late == []
    assert len(openai_provider.calls(SPEECH)) < 4
    assert today(user).reserved == 0
    work = CostReservation.objects.get(user=user, operation="audio_synthesis")
    assert work.state == "settled" and work.stop_reason


@pytest.mark.skipif(
    bool(os.environ.get("TEST_TODAY")),
    reason="reads the day's spend and the month's quota, which the workers (on the real clock) "
    "write under another day than TEST_TODAY's",
)
def test_voice_swaps_while_narration_runs_never_pass_the_daily_ceiling(
    e2e, web, openai_provider, user
):
    # given a family whose daily allowance is twice what one narration may cost
    e2e(AI_TTS_CONCURRENCY="1")
    openai_provider.delay[SPEECH] = 0.3
    story = StoryFactory(user=user, content=LONG)
    app = web.client(user)
    first = app.post(f"/api/stories/{story.pk}/audio", json={"voice": "nova"})
    assert first.status_code == 202
    one_narration = CostReservation.objects.get(user=user).amount
    assert one_narration > 0
    put_on_plan(user, code="tight", daily_cost_ceiling=2 * one_narration)

    # when the family swaps voices again and again while it runs
    answers = []
    for voice in ["echo", "nova", "alloy", "echo", "nova", "alloy"]:
        answers.append(
            app.post(f"/api/stories/{story.pk}/audio", json={"voice": voice}).status_code
        )
        wait_for(lambda: openai_provider.calls(SPEECH), timeout=60, message="a piece")

    # then some swaps were refused while replaced narrations still held their money, and what
    # was spent, every piece and transcription counted, stays within the allowance
    wait_for(lambda: all_work_ended(user), timeout=120, message="all work to end")
    assert set(answers) <= {202, 429}
    assert 429 in answers
    spent = sum(row.cost for row in UsageMetric.objects.filter(user=user))
    assert spent == today(user).spent
    assert Decimal(0) < spent <= 2 * one_narration
    assert today(user).reserved == 0


def test_a_staff_block_mid_narration_stops_it_before_the_next_piece(
    e2e, web, openai_provider, user
):
    # given a long narration under way on the deployed web and worker, one piece at a time
    e2e(AI_TTS_CONCURRENCY="1")
    openai_provider.delay[SPEECH] = 0.5
    story = StoryFactory(user=user, content=LONG)
    answer = web.client(user).post(f"/api/stories/{story.pk}/audio", json={})
    assert answer.status_code == 202
    wait_for(lambda: openai_provider.calls(SPEECH), timeout=60, message="the first piece")

    # when staff block the account (the admin's save)
    standing_block(user=user, reason="abuse")
    blocked_at = timezone.now().timestamp()

    # then the worker stops before its next piece: the job fails with the block's message, the
    # work is settled for what was bought, and nothing more reaches the vendor
    wait_for(lambda: all_work_ended(user), timeout=60, message="the work to end")
    job = GenerationJob.objects.get(user=user, kind="audio")
    assert job.status == "failed"
    assert job.error_message == account_blocked().message
    assert [c for c in openai_provider.calls("/v1/audio") if c.at > blocked_at + 0.05] == []
    assert len(openai_provider.calls(SPEECH)) < 4
    work = CostReservation.objects.get(user=user, operation="audio_synthesis")
    assert work.state == "settled" and work.stop_reason == "ACCOUNT_BLOCKED"
    assert today(user).reserved == 0
