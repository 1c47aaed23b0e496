"""Small helpers shared by test modules (one copy each; fixtures live in tests/conftest.py)."""

import json
import socket
import time

from rest_framework.test import APIClient

from accounts import services as account_services


def assert_envelope(response, status: int, code: str) -> dict:
    """The error contract of every endpoint: {"error": str, "code": str, "details": object}."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error", "code", "details"}, body
    assert body["code"] == code, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["details"], dict)
    return body


def post_json(api, path: str, body, **headers):
    """POST `body` as JSON text, as a phone sends it (no test-client encoding in between)."""
    return api.post(path, json.dumps(body), content_type="application/json", **headers)


def post_story(api, hero, *, on_commit=None, idempotency_key: str | None = None, **more):
    """POST /api/stories for `hero`: a bedtime story without narration unless `more` says otherwise
    (a None value leaves that field out). With `on_commit` (pytest-django's
    django_capture_on_commit_callbacks) the jobs queued on commit run before it returns."""
    body = {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False, **more}
    body = {name: value for name, value in body.items() if value is not None}
    headers = {} if idempotency_key is None else {"HTTP_IDEMPOTENCY_KEY": idempotency_key}
    if on_commit is None:
        return api.post("/api/stories", body, format="json", **headers)
    with on_commit(execute=True):
        return api.post("/api/stories", body, format="json", **headers)


SIGNUP = {"email": "test@example.com", "password": "SecurePass123!", "name": "Test User"}


def signup(client, *, remote_addr: str = "127.0.0.1", **fields):
    """POST /api/auth/signup: SIGNUP with `fields` in its place (None leaves one out), from
    `remote_addr`."""
    body = {name: value for name, value in {**SIGNUP, **fields}.items() if value is not None}
    return client.post("/api/auth/signup", body, format="json", REMOTE_ADDR=remote_addr)


def login(client, email=SIGNUP["email"], password=SIGNUP["password"], *, remote_addr="127.0.0.1"):
    """POST /api/auth/login from `remote_addr`."""
    return client.post(
        "/api/auth/login",
        {"email": email, "password": password},
        format="json",
        REMOTE_ADDR=remote_addr,
    )


def client_for(user) -> APIClient:
    """An API client signed in as `user` with a real bearer session."""
    _, token = account_services.session_create(
        user=user, ip_address="127.0.0.1", user_agent="tests"
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def saved_file(category: str, extension: str = "png", content: bytes = b"bytes") -> str:
    """A file stored through media's own service, as a finished upload or job leaves one: its key."""
    from media.services import media_save

    content_type = {"png": "image/png", "mp3": "audio/mpeg"}.get(
        extension, "application/octet-stream"
    )
    return media_save(
        category=category, content=content, extension=extension, content_type=content_type
    )


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released): for a server a test starts,
    or an address where nothing answers."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float = 60.0, every: float = 0.2, message: str = ""):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or condition}")
        time.sleep(every)


def loaded_values(row) -> dict:
    """A model instance's concrete field values, as loaded: to compare a prepared read's rows
    with the ORM's."""
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}
