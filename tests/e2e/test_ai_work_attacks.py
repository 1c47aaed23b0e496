"""Issue 17's attacks on the ceilings, as a determined family would try them, on the deployed
stack: the Procfile's web (every request over HTTP), a real Celery worker with production
settings, PostgreSQL, Redis, moto's S3 and the fake vendors. One free account cannot spend past
its daily ceiling or the global budget, the vendors' request counts show nothing bought twice,
and after a withdrawal or a deletion not one more request about the child reaches a vendor.

    DATABASE_URL=postgres://... REDIS_URL=redis://... pytest -m e2e tests/e2e
"""

import time
from decimal import ROUND_CEILING, Decimal

import pytest
from django.conf import settings
from django.db.models import Sum

from stories.models import GenerationJob
from tests.e2e.conftest import Web
from tests.helpers import wait_for
from tests.stories.factories import StoryFactory
from tests.usage.factories import put_on_plan
from usage.models import CostReservation, RuntimeSettings, SpendCounter, UsageMetric
from usage.selectors import GLOBAL_SCOPE
from usage.services import ai_work_admit, ai_work_end
from usage.services.controls import runtime_settings_save

# OpenAI narrates here, whatever day the suite runs on (TEST_TODAY).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("openai_speech_alive")]

# Four pieces of narration for OpenAI (4096 characters a request), four for ElevenLabs (5000).
LONG = " ".join(f"Sentence number {i} tells of a calm and happy star." for i in range(300))
SPEECH, TRANSCRIPTION = "/v1/audio/speech", "/v1/audio/transcriptions"
ELEVEN_SPEECH = "/v1/text-to-speech/"
SLACK = 0.05  # the fake's clock and ours are one process's; this is not a race allowance


@pytest.fixture
def stack(e2e, tmp_path):
    """A worker and the Procfile's web on the same environment with `overrides` (the web
    prices and admits the work, the worker buys it: both must see the same vendors)."""
    servers: list[Web] = []

    def start(**overrides: str) -> Web:
        e2e(**overrides)
        server = Web({**e2e.env, **overrides}, tmp_path / "web.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def all_work_ended(user) -> bool:
    return not CostReservation.objects.filter(user=user, ended_at__isnull=True).exists() and (
        not GenerationJob.objects.active().filter(user=user).exists()
    )


def spent(user) -> Decimal:
    """What the family's AI calls cost, call by call (the usage log)."""
    return UsageMetric.objects.filter(user=user).aggregate(total=Sum("cost"))["total"] or 0


def counted(scope, period: str, field: str) -> Decimal:
    """The spend counters' figure (the workers' clock may be another day than TEST_TODAY's,
    so every day or month of the scope is summed: a test runs within one)."""
    rows = SpendCounter.objects.filter(scope=str(scope), period=period)
    return rows.aggregate(total=Sum(field))["total"] or Decimal(0)


def consent_give(app) -> None:
    answer = app.post(
        "/api/user/consent",
        json={
            "policyVersion": settings.PARENTAL_CONSENT_POLICY_VERSION,
            "aiProcessing": True,
            "thirdPartyDisclosure": True,
        },
    )
    assert answer.status_code in (200, 201), answer.text


def late_calls(calls, since: float) -> list[str]:
    return [call.path for call in calls if call.at > since + SLACK]


def in_cents_up(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def test_consent_withdraw_and_grant_loops_never_pass_the_daily_ceiling(
    stack, openai_provider, user
):
    # given a long narration under way, on a plan whose daily allowance is two narrations
    web = stack(AI_TTS_CONCURRENCY="1")
    openai_provider.delay[SPEECH] = 0.4
    story = StoryFactory(user=user, content=LONG)
    app = web.client(user)
    first = app.post(f"/api/stories/{story.pk}/audio", json={"voice": "nova"})
    assert first.status_code == 202, first.text
    one_narration = CostReservation.objects.get(user=user).amount
    assert one_narration > 0
    ceiling = in_cents_up(2 * one_narration)
    put_on_plan(user, code="tight", daily_cost_ceiling=ceiling)

    # when a parent withdraws consent, gives it again and asks for the narration again, in a
    # loop, each time while a narration buys its pieces (a new voice each time, to tell the
    # narrations' requests apart)
    def voice_calls(voice):
        return [c for c in openai_provider.calls(SPEECH) if c.body.get("voice") == voice]

    withdrawn: dict[str, float] = {}
    answers: list[int] = []
    voice = "nova"
    for following in ["echo", "alloy"]:
        if voice:
            wait_for(lambda v=voice: voice_calls(v), timeout=30, message=f"a piece in {voice}")
        assert app.delete("/api/user/consent").status_code == 200
        if voice:
            withdrawn[voice] = time.time()
        consent_give(app)
        again = app.post(f"/api/stories/{story.pk}/audio", json={"voice": following})
        if again.status_code == 429:  # the stopped narration still holds its money: retry
            wait_for(lambda: all_work_ended(user), timeout=30, message="the stopped work to end")
            again = app.post(f"/api/stories/{story.pk}/audio", json={"voice": following})
        answers.append(again.status_code)
        voice = following if again.status_code == 202 else ""
    if voice:  # the last one is withdrawn too
        wait_for(lambda v=voice: voice_calls(v), timeout=30, message=f"a piece in {voice}")
        assert app.delete("/api/user/consent").status_code == 200
        withdrawn[voice] = time.time()

    # then each narration stopped before its next request once consent was withdrawn, what was
    # spent stays within the allowance, and no money is held any more
    wait_for(lambda: all_work_ended(user), timeout=60, message="all work to end")
    assert set(answers) <= {202, 429}, answers
    assert len(withdrawn) >= 2
    for stopped_voice, at in withdrawn.items():
        assert late_calls(voice_calls(stopped_voice), at) == [], stopped_voice
    heard = openai_provider.calls(TRANSCRIPTION)
    assert len(heard) <= len([c for c in openai_provider.calls(SPEECH) if c.status == 200])
    assert spent(user) == counted(user.pk, "day", "spent")
    assert Decimal(0) < spent(user) <= ceiling
    assert counted(user.pk, "day", "reserved") == 0
    works = CostReservation.objects.filter(user=user)
    assert all(w.ended_at and w.state in ("settled", "released") for w in works)


def test_deleting_a_story_mid_narration_ends_its_work_once_and_buys_nothing_more(
    stack, openai_provider, user
):
    # given a long narration under way
    web = stack(AI_TTS_CONCURRENCY="1")
    openai_provider.delay[SPEECH] = 0.4
    story = StoryFactory(user=user, content=LONG)
    app = web.client(user)
    assert app.post(f"/api/stories/{story.pk}/audio", json={}).status_code == 202
    wait_for(lambda: openai_provider.calls(SPEECH), timeout=30, message="the first piece")
    # and another piece of the family's work holding money meanwhile (a request's)
    put_on_plan(user, code="roomy", daily_cost_ceiling=50, monthly_cost_ceiling=50)
    held = ai_work_admit(user=user, operation="audio_synthesis", characters=1000)
    assert held.amount > 0

    # when the family deletes the story
    assert app.delete(f"/api/stories/{story.pk}").status_code == 200
    deleted_at = time.time()

    # then the worker stops before its next paid call and ends the work, once
    wait_for(
        lambda: (
            not GenerationJob.objects.active().filter(user=user).exists()
            and not CostReservation.objects.filter(user=user, ended_at__isnull=True)
            .exclude(pk=held.pk)
            .exists()
        ),
        timeout=30,
        message="the work to end",
    )
    assert late_calls(openai_provider.calls("/v1/audio"), deleted_at) == []
    assert len(openai_provider.calls(SPEECH)) < 4
    work = CostReservation.objects.exclude(pk=held.pk).get(user=user)
    assert work.state == "settled" and work.ended_at is not None
    assert Decimal(0) < spent(user) <= work.amount
    # its money was given back once: the other work's is still held, to the cent
    assert counted(user.pk, "day", "reserved") == held.amount
    assert counted(GLOBAL_SCOPE, "month", "reserved") == held.amount
    assert ai_work_end(work=held)
    assert counted(GLOBAL_SCOPE, "month", "reserved") == 0
    assert app.get(f"/api/stories/{story.pk}").status_code == 404


def test_narration_requests_and_swaps_never_pass_the_global_budget(stack, openai_provider, user):
    # given a tiny global budget from the environment, and staff's figure in the admin above it
    staff = RuntimeSettings.objects.filter(pk=1).first() or RuntimeSettings(pk=1)
    staff.monthly_budget = Decimal("100")
    runtime_settings_save(instance=staff)
    web = stack(AI_TTS_CONCURRENCY="1", MONTHLY_BUDGET_USD="0.01")
    openai_provider.delay[SPEECH] = 0.2
    put_on_plan(user, code="roomy", daily_cost_ceiling=50, monthly_cost_ceiling=50)
    story = StoryFactory(user=user, content=LONG)
    other = StoryFactory(user=user, content=LONG)
    app = web.client(user)
    assert app.post(f"/api/stories/{story.pk}/audio", json={"voice": "nova"}).status_code == 202
    one_narration = CostReservation.objects.get(user=user).amount
    # when staff lower the budget so that free accounts' share (80 %) is 1.5 narrations
    share = Decimal(settings.FREE_BUDGET_SHARE_PERCENT) / 100
    staff.monthly_budget = in_cents_up(Decimal("1.5") * one_narration / share)
    runtime_settings_save(instance=staff)
    free_share = (staff.monthly_budget * share).quantize(Decimal("0.01"))

    # and one free family asks again and again: other voices, the other story
    answers = []
    for path, voice in [
        (story, "echo"),
        (other, "nova"),
        (story, "alloy"),
        (other, "echo"),
        (story, "nova"),
    ]:
        answers.append(app.post(f"/api/stories/{path.pk}/audio", json={"voice": voice}).status_code)
        wait_for(lambda: openai_provider.calls(SPEECH), timeout=30, message="a piece")
    wait_for(lambda: all_work_ended(user), timeout=60, message="all work to end")
    answers.append(app.post(f"/api/stories/{other.pk}/audio", json={"voice": "alloy"}).status_code)

    # then requests were refused for the budget, and the month's spend stays within it
    assert set(answers) <= {202, 503}, answers
    assert 503 in answers
    month = counted(GLOBAL_SCOPE, "month", "spent")
    assert month == spent(user) > 0
    assert month <= free_share <= staff.monthly_budget
    wait_for(lambda: all_work_ended(user), timeout=60, message="all work to end")
    assert counted(GLOBAL_SCOPE, "month", "reserved") == 0

    # and with staff's figure cleared, the environment's tiny budget refuses new narration
    staff.monthly_budget = None
    runtime_settings_save(instance=staff)
    refused = app.post(f"/api/stories/{other.pk}/audio", json={"voice": "echo"})
    assert refused.status_code == 503 and refused.json()["code"] == "AI_BUDGET_EXHAUSTED"


def elevenlabs_env(server) -> dict:
    return {
        "ELEVENLABS_API_KEY": "xi-test",
        "ELEVENLABS_BASE_URL": server.base_url,
        "AI_TTS_PROVIDER_CHAIN": "openai,elevenlabs",
        "AI_TTS_CONCURRENCY": "1",
    }


def test_a_failover_to_elevenlabs_mid_narration_stays_within_its_reservation(
    stack, openai_provider, fake_elevenlabs, user
):
    # given OpenAI's speech answering the first piece and then 500, ElevenLabs next in the chain
    web = stack(**elevenlabs_env(fake_elevenlabs))
    openai_provider.fail(SPEECH, times=None, status=500, after=1)
    story = StoryFactory(user=user, content=LONG)
    app = web.client(user)

    # when the family asks for the narration, on a plan allowing exactly one narration a day
    put_on_plan(user, code="roomy", daily_cost_ceiling=50, monthly_cost_ceiling=50)
    assert app.post(f"/api/stories/{story.pk}/audio", json={}).status_code == 202
    work = CostReservation.objects.get(user=user)
    put_on_plan(
        user,
        code="one-a-day",
        daily_cost_ceiling=in_cents_up(work.amount),
        monthly_cost_ceiling=in_cents_up(work.amount),
    )
    job = wait_for(
        lambda: GenerationJob.objects.filter(
            story=story, status__in=["completed", "failed"]
        ).first(),
        timeout=60,
        message="the narration",
    )

    # then ElevenLabs narrated the whole story, each piece bought once, and what was spent, the
    # OpenAI piece and its transcription included, stays within what was reserved
    assert (job.status, job.attempts) == ("completed", 1)
    assert [c.status for c in openai_provider.calls(SPEECH)] == [200, 500]
    texts = [c.body["text"] for c in fake_elevenlabs.calls(ELEVEN_SPEECH)]
    assert len(texts) == len(set(texts)) >= 2
    assert " ".join(texts).replace(" ", "") in "".join(story.spoken_text.split())
    assert all(c.status == 200 for c in fake_elevenlabs.calls(ELEVEN_SPEECH))
    # the 500 was not billed, and is not counted as spend
    failed = UsageMetric.objects.filter(vendor="openai", operation="audio_synthesis", success=False)
    assert [row.cost for row in failed] == [0]
    wait_for(lambda: all_work_ended(user), timeout=30, message="the work to end")
    work.refresh_from_db()
    assert Decimal(0) < spent(user) <= work.amount
    assert spent(user) <= in_cents_up(work.amount)
    assert counted(user.pk, "day", "reserved") == 0


def test_a_pictures_500_leaves_narration_on_openai(stack, openai_provider, fake_elevenlabs, user):
    # given ElevenLabs second in the narration chain, and OpenAI's pictures answering 500
    web = stack(**elevenlabs_env(fake_elevenlabs))
    openai_provider.fail("/v1/images", times=None, status=500)
    put_on_plan(user, code="roomy", daily_cost_ceiling=50, monthly_cost_ceiling=50)
    story = StoryFactory(user=user, content=LONG)
    app = web.client(user)

    # when a picture fails, and then the family asks for narrations
    pictures = app.post(f"/api/stories/{story.pk}/illustrations", json={"count": 1})
    assert pictures.status_code == 202, pictures.text
    wait_for(
        lambda: [c for c in openai_provider.calls("/v1/images") if c.status == 500],
        timeout=30,
        message="the picture's 500",
    )
    for voice in ["nova", "echo"]:
        assert app.post(f"/api/stories/{story.pk}/audio", json={"voice": voice}).status_code == 202
        wait_for(
            lambda v=voice: GenerationJob.objects.filter(
                story=story, kind="audio", voice=v, status__in=["completed", "failed"]
            ).first(),
            timeout=30,
            message=f"the narration in {voice}",
        )

    # then OpenAI narrated both (its cooldown is for pictures only), ElevenLabs was never asked
    narrations = GenerationJob.objects.filter(story=story, kind="audio")
    assert {job.status for job in narrations} == {"completed"}
    assert fake_elevenlabs.calls(ELEVEN_SPEECH) == []
    assert {c.status for c in openai_provider.calls(SPEECH)} == {200}
    assert {row.vendor for row in UsageMetric.objects.filter(operation="audio_synthesis")} == {
        "openai"
    }
