"""A request's limits are counted together in one Redis round trip on a client kept for the
process, and count exactly as checking them one by one did."""

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from django_ratelimit.core import get_usage

from infinitestories.api import ratelimit
from infinitestories.api.errors import ApplicationError
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.servers


@pytest.fixture
def request_of_a_user(db):
    request = RequestFactory().get("/api/heroes", REMOTE_ADDR="10.1.2.3")
    request.user = UserFactory()
    return request


def counted(request, name: str) -> int:
    """What django-ratelimit itself reads for the limit: the same keys, so counts carry across."""
    rule = ratelimit.policy(name)
    usage = get_usage(request, group=f"rl:{name}", key=ratelimit._key(rule), rate=rule.rate)
    return usage["count"]


def test_each_limit_is_counted_once_per_request(request_of_a_user):
    for _ in range(3):
        states = ratelimit.hit_many(request_of_a_user, ("api", "hero_create"))

    assert [state.remaining for state in states] == [97, 7]
    assert counted(request_of_a_user, "api") == 3
    assert counted(request_of_a_user, "hero_create") == 3


def test_the_limit_after_a_refused_one_is_not_counted(request_of_a_user, settings):
    settings.RATE_LIMITS = "api=2/m"
    ratelimit.hit_many(request_of_a_user, ("api", "hero_create"))
    ratelimit.hit_many(request_of_a_user, ("api", "hero_create"))

    with pytest.raises(ApplicationError) as refused:
        ratelimit.hit_many(request_of_a_user, ("api", "hero_create"))

    assert refused.value.details["limit"] == "api"
    assert counted(request_of_a_user, "hero_create") == 2


def test_hit_counts_one_limit_as_before(request_of_a_user, settings):
    settings.RATE_LIMITS = "hero_create=1/m"
    assert ratelimit.hit(request_of_a_user, "hero_create").remaining == 0

    with pytest.raises(ApplicationError):
        ratelimit.hit(request_of_a_user, "hero_create")


def test_one_redis_client_serves_every_request():
    backend = caches["default"]

    assert ratelimit._redis_client(backend) is ratelimit._redis_client(backend)


def test_the_window_expires_in_redis(request_of_a_user):
    ratelimit.hit(request_of_a_user, "api")
    client = ratelimit._redis_client(caches["default"])

    _limit, period, _window, key = ratelimit.counter_of(
        caches["default"], request_of_a_user, ratelimit.policy("api")
    )

    # This request's own key: other tests of the run leave keys of longer windows behind.
    assert 0 < client.ttl(key) <= period + ratelimit.EXPIRATION_FUDGE
