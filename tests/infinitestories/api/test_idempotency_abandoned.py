"""An Idempotency-Key whose request died with the database under it is freed within a minute of
the database's return (not when the abandoned reservation expires), and so is its AI work."""

import threading

import pytest
from django.db import OperationalError

from infinitestories import faults
from infinitestories.api import idempotency
from infinitestories.api.models import IdempotencyRecord
from stories.services import stories
from tests.accounts.factories import UserFactory
from tests.helpers import client_for
from tests.heroes.factories import HeroFactory
from usage.models import CostReservation


def background_retries():
    return [t for t in threading.enumerate() if t.name.startswith("retry-")]


@pytest.mark.django_db(transaction=True)
def test_a_request_that_died_with_the_database_frees_its_key_and_work_once_it_is_back(
    monkeypatch,
):
    monkeypatch.setattr(faults, "BACKGROUND_EVERY", 0.05)
    user = UserFactory()
    hero = HeroFactory(user=user)
    api = client_for(user)
    # the database goes away while the story is written, and stays away a while
    monkeypatch.setattr(
        stories.story_text,
        "story_write",
        lambda **kwargs: (_ for _ in ()).throw(OperationalError("server closed the connection")),
    )
    real_abort = idempotency.idempotency_abort
    down = [4]  # the request's own three tries, and the first try in the background

    def abort_while_down(**kwargs):
        if down[0]:
            down[0] -= 1
            raise OperationalError("server closed the connection")
        return real_abort(**kwargs)

    monkeypatch.setattr(idempotency, "idempotency_abort", abort_while_down)
    body = {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False}

    response = api.post("/api/stories", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 503
    for thread in background_retries():
        thread.join(10)
    assert not IdempotencyRecord.objects.filter(key="k-1").exists()
    assert set(CostReservation.objects.values_list("state", flat=True)) == {"settled"}


@pytest.mark.django_db(transaction=True)
def test_ai_work_whose_end_the_database_refused_is_ended_in_the_background(monkeypatch):
    from usage.services import ai_work
    from usage.services import spend as spending

    monkeypatch.setattr(faults, "BACKGROUND_EVERY", 0.05)
    user = UserFactory()
    real_end = spending.cost_reservation_end
    down = [4]

    def end_while_down(**kwargs):
        if down[0]:
            down[0] -= 1
            raise OperationalError("server closed the connection")
        return real_end(**kwargs)

    monkeypatch.setattr(spending, "cost_reservation_end", end_while_down)

    with pytest.raises(RuntimeError), ai_work(user=user, operation="audio_synthesis"):
        raise RuntimeError("the request fails")

    assert CostReservation.objects.get().ended_at is None  # not yet: the database is away
    for thread in background_retries():
        thread.join(10)
    assert CostReservation.objects.get().state == "settled"
