"""/api/health cannot be used against the service: anonymous callers are limited per network, the
storage write and the worker ping run at most once per HEALTH_DEEP_MAX_AGE for the whole fleet
(the result is kept in the cache), and a flood leaves other families' reads answering. The deep
check runs on demand only for the operators' token or staff."""

import threading
import time
from collections import Counter

import pytest
import requests
from health_check.checks import Storage
from health_check.contrib.celery import Ping

from tests.accounts.factories import UserFactory
from tests.helpers import assert_envelope, client_for
from tests.heroes.factories import HeroFactory

pytestmark = pytest.mark.servers


@pytest.fixture
def counted_checks(monkeypatch):
    """How many times the storage write and the worker ping ran."""
    runs: Counter = Counter()

    def counting(name, original):
        async def get_result(self):
            runs[name] += 1
            return await original(self)

        return get_result

    monkeypatch.setattr(Storage, "get_result", counting("storage", Storage.get_result))
    monkeypatch.setattr(Ping, "get_result", counting("celery", Ping.get_result))
    return runs


def test_a_flood_of_health_calls_writes_storage_once_and_leaves_reads_answering(
    live_server, transactional_db, settings, counted_checks
):
    # a real broker and no worker: each deep check would wait HEALTH_CELERY_TIMEOUT for a ping
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.HEALTH_CELERY_TIMEOUT = 0.2
    settings.HEALTH_CACHE_SECONDS = 5
    settings.RATE_LIMITS = "health=40/h"  # an hour-long window: the test never spans two
    user = UserFactory()
    HeroFactory(user=user)
    from accounts import services as account_services

    _, token = account_services.session_create(user=user, ip_address="10.0.0.1", user_agent="t")
    family = {"Authorization": f"Bearer {token}"}
    statuses: Counter = Counter()
    reads: list[int] = []
    lock = threading.Lock()

    def flood():
        session = requests.Session()
        for _ in range(15):
            answer = session.get(f"{live_server.url}/api/health", timeout=30)
            with lock:
                statuses[answer.status_code] += 1

    def family_reads():
        for _ in range(10):
            reads.append(
                requests.get(
                    f"{live_server.url}/api/heroes", headers=family, timeout=30
                ).status_code
            )

    threads = [threading.Thread(target=flood) for _ in range(8)]
    threads.append(threading.Thread(target=family_reads))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert sum(statuses.values()) == 120
    # the network's allowance answered (503: no worker answers the ping), the rest refused
    assert statuses[429] == 120 - 40
    assert statuses[503] == 40
    # one storage write and one worker ping for the 120 calls, not 120 of each
    assert counted_checks == Counter(storage=1, celery=1)
    assert reads == [200] * 10


def test_the_deep_check_runs_for_the_operators_token_or_staff_only(
    client, settings, counted_checks
):
    settings.HEALTH_DEEP_TOKEN = "s3cret-token"

    assert_envelope(client.get("/api/health/deep"), 401, "UNAUTHORIZED")
    assert_envelope(client.get("/api/health/deep", HTTP_X_HEALTH_TOKEN="wrong"), 403, "FORBIDDEN")
    assert client_for(UserFactory()).get("/api/health/deep").status_code == 403
    assert counted_checks["storage"] == 0

    by_token = client.get("/api/health/deep", HTTP_X_HEALTH_TOKEN="s3cret-token")
    by_staff = client_for(UserFactory(is_staff=True)).get("/api/health/deep")

    assert by_token.status_code == by_staff.status_code == 200
    assert by_token.json()["checks"]["storage"] == "ok"
    assert counted_checks["storage"] == 2  # each ran the check afresh


def test_health_reports_the_last_deep_check_until_it_is_too_old(client, settings, counted_checks):
    settings.HEALTH_DEEP_MAX_AGE = 180

    for _ in range(5):
        assert client.get("/api/health").status_code == 200
    assert counted_checks["storage"] == 1

    settings.HEALTH_DEEP_MAX_AGE = 0  # every result is too old now
    client.get("/api/health")
    assert counted_checks["storage"] == 2


def test_the_beat_job_keeps_the_result_health_reports(client, counted_checks):
    from infinitestories.api.tasks import health_deep_check_task

    assert health_deep_check_task() == {"storage": True}
    response = client.get("/api/health")

    assert response.json()["checks"]["storage"] == "ok"
    assert counted_checks["storage"] == 1  # /api/health read the job's result


def test_a_failed_deep_result_is_checked_again_sooner_than_a_passing_one(client, counted_checks):
    from django.core.cache import cache

    from infinitestories.api import health

    stale = time.time() - health.DEEP_RETRY_AFTER_FAILURE - 1  # older than the retry, not max age
    cache.set(health.DEEP_KEY, {"passed": {"storage": True}, "at": stale})
    assert client.get("/api/health").status_code == 200
    assert counted_checks["storage"] == 0  # a passing result is kept for HEALTH_DEEP_MAX_AGE

    # a worker still starting, say: the failed result is not reported for minutes
    cache.set(health.DEEP_KEY, {"passed": {"storage": False}, "at": stale})
    assert client.get("/api/health").status_code == 200
    assert counted_checks["storage"] == 1
