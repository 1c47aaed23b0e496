"""Redis down (closed port) or hung (accepts, never answers): every request answers within a
bounded time with 503 SERVICE_UNAVAILABLE in the envelope, never a 500, and writes nothing."""

import signal
from contextlib import contextmanager

import pytest

from accounts.models import User
from stories.models import Story
from tests.fakes.redis_faults import redis_down, redis_hung  # noqa: F401
from tests.helpers import assert_envelope
from tests.heroes.factories import HeroFactory

FAULTS = ["redis_down", "redis_hung"]
# REDIS_TIMEOUT is 2 s: a request gives up on Redis well within this.
BOUND_SECONDS = 10


@contextmanager
def answered_within(seconds: int):
    """Fail (instead of hanging the suite) when the body has not returned after `seconds`."""

    def too_slow(signum, frame):
        raise AssertionError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_unavailable(response) -> None:
    assert_envelope(response, 503, "SERVICE_UNAVAILABLE")
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize("fault", FAULTS)
def test_login_answers_503_when_redis_fails(fault, request, client, user):
    request.getfixturevalue(fault)

    with answered_within(BOUND_SECONDS):
        response = client.post(
            "/api/auth/login", {"email": user.email, "password": "Secret123"}, format="json"
        )

    assert_unavailable(response)
    assert not user.bearer_sessions.exists()


@pytest.mark.parametrize("fault", FAULTS)
def test_signup_answers_503_and_creates_no_account(fault, request, client):
    request.getfixturevalue(fault)

    with answered_within(BOUND_SECONDS):
        response = client.post(
            "/api/auth/signup",
            {"email": "new@example.com", "password": "SecurePass123!"},
            format="json",
        )

    assert_unavailable(response)
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("fault", FAULTS)
def test_library_reads_answer_503(fault, request, auth_client):
    request.getfixturevalue(fault)

    with answered_within(BOUND_SECONDS):
        response = auth_client.get("/api/heroes")

    assert_unavailable(response)


@pytest.mark.parametrize("fault", FAULTS)
def test_story_request_answers_503_and_charges_nothing(fault, request, user, auth_client):
    hero = HeroFactory(user=user)
    request.getfixturevalue(fault)

    with answered_within(BOUND_SECONDS):
        response = auth_client.post(
            "/api/stories",
            {"heroId": hero.pk, "eventType": "bedtime", "language": "en"},
            format="json",
        )

    assert_unavailable(response)
    assert not Story.objects.exists()


@pytest.mark.parametrize("fault", FAULTS)
def test_health_names_redis_when_it_fails(fault, request, client):
    request.getfixturevalue(fault)

    with answered_within(BOUND_SECONDS):
        response = client.get("/api/health")

    body = assert_envelope(response, 503, "SERVICE_UNAVAILABLE")
    assert body["error"] == "Unavailable: redis"
    assert body["details"]["checks"] == {
        "database": "ok",
        "redis": "unavailable",
        "storage": "ok",
        "celery": "eager",
    }


@pytest.mark.parametrize("fault", FAULTS)
def test_sending_a_task_to_a_failed_broker_gives_up_in_bounded_time(
    fault, request, settings, monkeypatch
):
    from kombu.exceptions import OperationalError

    from infinitestories.celery import app
    from media.tasks import media_delete_task

    request.getfixturevalue(fault)
    monkeypatch.setitem(app.conf, "task_always_eager", False)

    with (
        answered_within(BOUND_SECONDS),
        pytest.raises(OperationalError),
        app.connection_for_write(settings.REDIS_URL) as connection,
    ):
        media_delete_task.apply_async(args=["audio/x.mp3"], connection=connection)
