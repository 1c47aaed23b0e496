"""A slow AI vendor cannot take the web tier: in-request AI work has places per account, per
web process and in all, and a request that finds none is answered at once (429 for the account's
own extra requests, 503 when the process is full) while other families' reads go on.

Runs a real threaded server (live_server) against the fake OpenAI server, whose story writing is
held (not slept) until the test lets it go: every assertion is on answers and counts."""

import threading

import pytest
import requests

from infinitestories.ai import inflight
from tests.accounts.factories import UserFactory
from tests.fakes.fixtures import fake_openai, openai_provider  # noqa: F401
from tests.helpers import wait_for
from tests.heroes.factories import HeroFactory

pytestmark = pytest.mark.servers

CHAT = "/v1/chat/completions"


def family():
    """A signed-in family with one hero: (bearer headers, hero id)."""
    from accounts import services as account_services

    user = UserFactory()
    hero = HeroFactory(user=user)
    _, token = account_services.session_create(user=user, ip_address="127.0.0.1", user_agent="t")
    return {"Authorization": f"Bearer {token}"}, hero.pk


def ask_story(url: str, headers: dict, hero_id: str) -> requests.Response:
    body = {"heroId": hero_id, "eventType": "bedtime", "generateAudio": False}
    return requests.post(f"{url}/api/stories", json=body, headers=headers, timeout=45)


@pytest.fixture
def held_vendor(openai_provider, settings):  # noqa: F811
    settings.AI_INFLIGHT_PER_USER = 1
    settings.AI_INFLIGHT_PER_PROCESS = 2
    settings.AI_INFLIGHT_GLOBAL = 32
    gate = threading.Event()
    openai_provider.hold[CHAT] = gate
    yield openai_provider, gate
    gate.set()


def test_a_slow_vendor_leaves_other_families_reads_fast_and_extra_ai_requests_refused_at_once(
    live_server, transactional_db, held_vendor
):
    fake, gate = held_vendor
    url = live_server.url
    (a, a_hero), (b, b_hero), (c, c_hero), (d, _) = family(), family(), family(), family()
    answers: dict[str, requests.Response] = {}

    def in_background(name, *args):
        thread = threading.Thread(target=lambda: answers.__setitem__(name, ask_story(*args)))
        thread.start()
        return thread

    # family A's story waits on the vendor
    first = in_background("a1", url, a, a_hero)
    wait_for(lambda: len(fake.calls(CHAT)) == 1, timeout=30, message="A's story at the vendor")

    # A's second story is refused at once: 429 for the account, never sent to the vendor
    second = ask_story(url, a, a_hero)
    assert second.status_code == 429, second.content[:300]
    assert second.json()["code"] == "RATE_LIMITED"
    assert second.json()["details"]["limit"] == "ai_in_flight"
    assert int(second.headers["Retry-After"]) > 0

    # family B's story takes this process's last place
    other = in_background("b1", url, b, b_hero)
    wait_for(lambda: len(fake.calls(CHAT)) == 2, timeout=30, message="B's story at the vendor")

    # family C finds the process full: 503 at once, nothing sent
    third = ask_story(url, c, c_hero)
    assert third.status_code == 503, third.content[:300]
    assert third.json()["code"] == "AI_UNAVAILABLE"
    assert third.headers["Retry-After"]

    # family D's reads answer while two stories still wait on the vendor
    for _ in range(5):
        read = requests.get(f"{url}/api/heroes", headers=d, timeout=15)
        assert read.status_code == 200
    assert inflight.in_flight() == 2 and not gate.is_set()  # A and B, held by the vendor

    gate.set()
    first.join(45)
    other.join(45)
    assert answers["a1"].status_code == 201, answers["a1"].content[:300]
    assert answers["b1"].status_code == 201, answers["b1"].content[:300]
    assert len(fake.calls(CHAT)) == 2  # the refused requests never reached the vendor
    # every place is given back: A can write again
    assert inflight.in_flight() == 0
    assert ask_story(url, a, a_hero).status_code == 201


def test_ai_calls_outside_a_web_request_take_no_place(settings):
    settings.AI_INFLIGHT_PER_USER = 0  # no place at all for in-request work
    inflight.admit(user_id="usr_1")  # a Celery job: not capped here
    with inflight.request_scope():
        inflight.admit(user_id=None)  # per-account cap off (0); the process has places
    assert inflight.in_flight() == 0
