"""Every failure answers in the one envelope {"error", "code", "details"} with the right status:
bad JSON, wrong types, unknown paths, wrong methods, oversize bodies, and our own crashes
(infinitestories.api.errors, parsers and middleware)."""

import json
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection

from accounts.models import User
from tests.helpers import SIGNUP, assert_envelope
from usage.selectors import RUNTIME_SETTINGS_CACHE_KEY


def test_malformed_json_gets_400_in_the_envelope(client):
    response = client.post("/api/auth/signup", "{bad json", content_type="application/json")

    assert_envelope(response, 400, "MALFORMED_JSON")
    assert not User.objects.exists()


def test_json_that_is_not_an_object_gets_400(client):
    response = client.post("/api/auth/signup", "[1, 2]", content_type="application/json")

    assert_envelope(response, 400, "VALIDATION_ERROR")


def test_wrong_types_get_400_with_field_details(client):
    response = client.post(
        "/api/auth/signup", {"email": ["a"], "password": {"x": 1}, "name": 5}, format="json"
    )

    body = assert_envelope(response, 400, "VALIDATION_ERROR")
    assert {"email", "password"} <= set(body["details"])


def test_unknown_api_path_gets_404_in_the_envelope(client):
    assert_envelope(client.get("/api/no/such/thing"), 404, "NOT_FOUND")


def test_unknown_path_outside_the_api_gets_404_in_the_envelope(client):
    assert_envelope(client.get("/nothing-here"), 404, "NOT_FOUND")


def test_wrong_method_gets_405_in_the_envelope(client):
    assert_envelope(client.get("/api/auth/signup"), 405, "METHOD_NOT_ALLOWED")


def test_non_json_body_gets_415(client):
    response = client.post(
        "/api/auth/signup", "email=a", content_type="application/x-www-form-urlencoded"
    )

    assert_envelope(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_huge_payload_gets_413_and_writes_nothing(client):
    body = json.dumps({**SIGNUP, "name": "x" * (2 * 1024 * 1024)})

    response = client.post("/api/auth/signup", body, content_type="application/json")

    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert not User.objects.exists()


def test_trailing_slash_is_optional(client):
    assert client.post("/api/auth/signup/", SIGNUP, format="json").status_code == 201


@pytest.mark.urls("tests.infinitestories.api.urls")
def test_unhandled_error_is_a_500_envelope_without_traceback(auth_client):
    response = auth_client.get("/api/test/explode")

    body = assert_envelope(response, 500, "INTERNAL_ERROR")
    assert "secret internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["details"] == {}


@contextmanager
def database_refusing_connections():
    """Every query fails as PostgreSQL fails them when it has no connection left (Django's own
    hook around the driver; the ORM runs up to it)."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection failed: FATAL:  sorry, too many clients already")

    with connection.execute_wrapper(refuse):
        yield


@pytest.mark.parametrize("path", ["/api/heroes", "/api/stories/story_x/listen", "/api/auth/signup"])
def test_a_write_when_the_database_refuses_answers_503_not_500(client, path):
    """The maintenance switch is read before every write, in a middleware (outside DRF): with
    the cache cold and the database refusing connections, the answer is the outage's 503."""
    cache.delete(RUNTIME_SETTINGS_CACHE_KEY)
    client.raise_request_exception = False

    with database_refusing_connections():
        response = client.post(path, {"name": "Mia"}, format="json")

    assert_envelope(response, 503, "SERVICE_UNAVAILABLE")
    assert response["Retry-After"] == "5"


def test_a_crash_outside_a_view_is_still_a_500(client, monkeypatch):
    cache.delete(RUNTIME_SETTINGS_CACHE_KEY)
    client.raise_request_exception = False

    def crash():
        raise ValueError("a bug")

    monkeypatch.setattr("usage.middleware.runtime_settings", crash)
    response = client.post("/api/heroes", {"name": "Mia"}, format="json")

    assert_envelope(response, 500, "INTERNAL_ERROR")
