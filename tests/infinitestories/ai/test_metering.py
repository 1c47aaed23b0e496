"""Metering of AI calls: a vendor error that was not billed costs nothing, an answer that was is
paid in full, and a paid call is never lost from the usage log when the database blips (its row
waits in the outbox and is written by the next write). Real SDK against the fake OpenAI server;
the blip is the real connection refusing the usage table's inserts (Django's execute wrapper)."""

import logging
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import OperationalError, connection, transaction

from infinitestories.ai import chain, metering, moderation, speech, story_text
from infinitestories.ai.base import Capability
from infinitestories.ai.errors import ContentRefused, TransientProviderError
from tests.accounts.factories import UserFactory
from tests.fakes.redis_faults import redis_down  # noqa: F401
from tests.heroes.factories import HeroFactory
from usage.models import SpendCounter, UsageMetric
from usage.tasks import usage_outbox_drain_task

TEXT = "The little fox found a lantern. It glowed softly all night long. " * 6


@pytest.fixture(autouse=True)
def _empty_outbox():
    # Redis's outbox is emptied with the cache's keys (tests/conftest.py); the in-process one here.
    metering._local_outbox.clear()
    yield
    metering._local_outbox.clear()


@pytest.fixture
def ctx(user):
    return chain.CallContext(operation="story_generation", user_id=str(user.pk))


@contextmanager
def usage_table_down():
    """The database refuses every usage row (longer than the in-place retries): a blip."""

    def refuse(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "usage_usagemetric"'):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def write_a_story(ctx, user):
    hero = HeroFactory(user=user, name="Mia")
    return story_text.story_write(ctx=ctx, hero=hero, language="en", event_type="bedtime")


def nothing_spent() -> bool:
    return not SpendCounter.objects.filter(spent__gt=0).exists()


@pytest.mark.parametrize("status", [500, 503, 429])
@pytest.mark.usefixtures("openai_speech_alive")  # OpenAI narrates, whatever the test day
def test_a_narration_the_vendor_refused_with_an_error_costs_nothing(openai_provider, ctx, status):
    openai_provider.fail("/v1/audio/speech", times=None, status=status)

    with pytest.raises(TransientProviderError):
        speech.narration_synthesize(ctx=ctx, text=TEXT, voice="nova")

    (row,) = UsageMetric.objects.all()
    assert (row.operation, row.success, row.input_units, row.cost) == (
        "audio_synthesis",
        False,
        0,
        Decimal(0),
    )
    assert nothing_spent()


def test_a_story_whose_chat_call_failed_or_timed_out_costs_nothing(
    openai_provider, ctx, user, settings
):
    # given a first chat call answered 500 and a second that takes longer than the timeout
    settings.AI_REQUEST_TIMEOUT = 0.5
    chain._provider.cache_clear()
    openai_provider.fail("/v1/chat/completions", times=1, status=500)
    with pytest.raises(TransientProviderError):
        write_a_story(ctx, user)
    openai_provider.delay["/v1/chat/completions"] = 3
    cache.delete(chain._cooldown_key("openai", Capability.WRITE_STORY))  # asked again
    with pytest.raises(TransientProviderError):
        write_a_story(ctx, user)

    rows = UsageMetric.objects.order_by("created_at")
    assert [(r.success, r.input_units, r.output_units, r.cost) for r in rows] == [
        (False, 0, 0, Decimal(0)),
        (False, 0, 0, Decimal(0)),
    ]
    assert nothing_spent()


def test_a_refused_chat_answer_is_billed_all_the_same(openai_provider, ctx, user):
    openai_provider.chat_refusal = "I can't write that."

    with pytest.raises(ContentRefused):
        write_a_story(ctx, user)

    (row,) = UsageMetric.objects.all()
    assert row.success is False and row.usage_reported is True
    assert row.input_units > 0 and row.cost > 0
    assert SpendCounter.objects.get(scope=str(ctx.user_id), period="day").spent == row.cost


def test_a_paid_story_survives_a_database_blip_and_its_cost_is_recorded_later(
    openai_provider, ctx, user
):
    # given the database refuses usage rows while a story is written (and moderated)
    with usage_table_down():
        draft = write_a_story(ctx, user)

    # then the paid story is there all the same, its rows waiting in the outbox
    assert draft.title and "Mia" in draft.content
    assert not UsageMetric.objects.exists()
    assert metering.outbox_size() == 2

    # when the next AI call is metered with the database back
    moderation.moderation_check(ctx=ctx, text="A gentle sentence.")

    # then every paid call is in the usage log and counted against the family's ceilings
    rows = UsageMetric.objects.all()
    assert sorted(r.operation for r in rows) == ["moderation", "moderation", "story_generation"]
    assert metering.outbox_size() == 0
    story_row = rows.get(operation="story_generation")
    assert story_row.success and story_row.cost > 0
    spent = SpendCounter.objects.get(scope=str(ctx.user_id), period="day").spent
    assert spent == sum(r.cost for r in rows)
    assert len(openai_provider.calls("/v1/chat/completions")) == 1


def test_kept_rows_are_written_by_the_beat_job_when_no_later_call_comes(openai_provider, ctx, user):
    with usage_table_down():
        write_a_story(ctx, user)
    assert metering.outbox_size() == 2 and nothing_spent()

    # the minute's beat job, with the database back and no further AI call
    assert usage_outbox_drain_task.apply().get() == 2

    assert metering.outbox_size() == 0
    spent = SpendCounter.objects.get(scope=str(ctx.user_id), period="day").spent
    assert spent > 0 and spent == sum(r.cost for r in UsageMetric.objects.all())


def test_rows_kept_in_the_outbox_are_not_written_inside_a_transaction_that_may_roll_back(
    openai_provider, ctx
):
    with usage_table_down():
        moderation.moderation_check(ctx=ctx, text="First.")
    assert metering.outbox_size() == 1

    # a call metered inside a caller's transaction leaves the kept row in the outbox
    with pytest.raises(RuntimeError), transaction.atomic():
        moderation.moderation_check(ctx=ctx, text="Second.")
        assert metering.outbox_size() == 1
        raise RuntimeError("the caller's transaction fails")
    assert metering.outbox_size() == 1

    # so its rollback cannot take the kept row: the next call outside any transaction writes it
    moderation.moderation_check(ctx=ctx, text="Third.")
    assert metering.outbox_size() == 0
    # the first call's and the third's (the second's row was written in the rolled-back one)
    assert UsageMetric.objects.count() == 2


@pytest.mark.django_db(transaction=True)  # autocommit, as in a worker: the constraint is checked
def test_a_kept_row_of_an_account_deleted_meanwhile_is_written_anonymised(openai_provider, ctx):
    with usage_table_down():
        moderation.moderation_check(ctx=ctx, text="Kept while the database is down.")
    get_user_model().objects.filter(pk=ctx.user_id).delete()

    other = UserFactory()
    moderation.moderation_check(
        ctx=ctx.but(user_id=str(other.pk)), text="Metered when the database is back."
    )

    assert metering.outbox_size() == 0
    assert sorted(UsageMetric.objects.values_list("user_id", flat=True), key=str) == sorted(
        [None, other.pk], key=str
    )


@pytest.mark.usefixtures("openai_speech_alive")  # OpenAI narrates, whatever the test day
def test_a_narration_made_in_threads_survives_a_database_blip(openai_provider, ctx):
    with usage_table_down():
        narration = speech.narration_synthesize(ctx=ctx, text=TEXT, voice="nova")

    assert narration.vendor == "openai" and narration.duration > 0
    assert not UsageMetric.objects.exists()
    assert metering.outbox_size() == 2  # the speech and its transcription

    assert metering.outbox_drain() == 2
    assert sorted(UsageMetric.objects.values_list("operation", flat=True)) == [
        "audio_synthesis",
        "audio_transcription",
    ]


@pytest.mark.servers
@pytest.mark.usefixtures("redis_down")
def test_with_the_outbox_down_too_the_row_is_logged_whole_and_the_result_kept(
    openai_provider, ctx, user, caplog
):
    with usage_table_down(), caplog.at_level(logging.ERROR, logger="infinitestories.ai.metering"):
        categories = moderation.moderation_check(ctx=ctx, text="A gentle sentence.")

    assert categories == []
    assert not UsageMetric.objects.exists()
    (record,) = [r for r in caplog.records if r.name == "infinitestories.ai.metering"]
    assert '"operation": "moderation"' in record.getMessage()
    assert f'"user_id": "{user.pk}"' in record.getMessage()
