"""NUL (\\x00) in path ids and headers: PostgreSQL (CI, production) refuses it in text, so every
place that passes client text to a query or a row must answer 400/404 first."""

import json

import pytest

from accounts.models import BearerSession, User
from stories.models import Story
from tests.helpers import assert_envelope
from tests.heroes.factories import HeroFactory

ID_PATHS = [
    ("get", "/api/heroes/hero_%00"),
    ("patch", "/api/heroes/hero_%00"),
    ("delete", "/api/heroes/hero_%00"),
    ("post", "/api/heroes/hero_%00/avatar"),
    ("get", "/api/stories/story_%00"),
    ("patch", "/api/stories/story_%00"),
    ("delete", "/api/stories/story_%00"),
    ("post", "/api/stories/story_%00/listen"),
    ("get", "/api/stories/story_%00/illustrations"),
    ("post", "/api/stories/story_%00/illustrations"),
    ("get", "/api/stories/story_%00/illustrations/status"),
    ("post", "/api/stories/story_%00/audio"),
    ("get", "/api/stories/story_%00/audio/status"),
    ("delete", "/api/stories/story_%00/illustrations/ill_x"),
    ("get", "/api/custom-events/evt_%00"),
    ("patch", "/api/custom-events/evt_%00"),
    ("delete", "/api/custom-events/evt_%00"),
]


@pytest.mark.parametrize("method,path", ID_PATHS)
def test_nul_in_path_id_is_404(auth_client, method, path):
    auth_client.raise_request_exception = False
    kwargs = (
        {"data": "{}", "content_type": "application/json"} if method in ("post", "patch") else {}
    )

    response = getattr(auth_client, method)(path, **kwargs)

    assert_envelope(response, 404, "NOT_FOUND")


def test_nul_in_idempotency_key_is_not_500(auth_client, user):
    auth_client.raise_request_exception = False
    hero = HeroFactory(user=user)
    body = {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False}

    response = auth_client.post(
        "/api/stories",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="retry\x00key",
    )

    # Either refused as a bad key (nothing written) or served as a normal first request.
    assert response.status_code in (201, 400), response.content[:300]
    if response.status_code == 400:
        assert_envelope(response, 400, "VALIDATION_ERROR")
        assert not Story.objects.exists()
    else:
        assert Story.objects.count() == 1


SIGNUP = {"email": "nul@example.com", "password": "SecurePass123!", "name": "Nul"}


def test_signup_with_nul_in_user_agent_creates_user_and_session(client):
    client.raise_request_exception = False

    response = client.post(
        "/api/auth/signup",
        json.dumps(SIGNUP),
        content_type="application/json",
        HTTP_USER_AGENT="App/1.0\x00",
    )

    # Today: 500, and the user row is committed anyway (half-written signup, no session).
    assert response.status_code == 201, response.content[:300]
    assert response.json()["session"]["token"]
    assert BearerSession.objects.filter(user__email="nul@example.com").count() == 1


def test_login_with_nul_in_user_agent_is_not_500(client):
    client.raise_request_exception = False
    client.post("/api/auth/signup", json.dumps(SIGNUP), content_type="application/json")
    assert User.objects.filter(email="nul@example.com").exists()

    response = client.post(
        "/api/auth/login",
        json.dumps({"email": SIGNUP["email"], "password": SIGNUP["password"]}),
        content_type="application/json",
        HTTP_USER_AGENT="App/1.0\x00",
    )

    assert response.status_code == 200, response.content[:300]
    assert response.json()["session"]["token"]


def test_email_verification_page_with_nul_key_is_404_not_500(client):
    client.raise_request_exception = False

    response = client.get("/auth/verify-email/%00")

    # A path with a NUL byte names nothing we can store: 404 before routing.
    assert_envelope(response, 404, "NOT_FOUND")
