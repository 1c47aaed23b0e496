import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from accounts.models import User
from infinitestories.api import ratelimit
from infinitestories.ids import new_id
from tests.accounts.factories import UserFactory
from tests.helpers import SIGNUP, assert_envelope


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


@pytest.mark.urls("tests.infinitestories.api.urls")
def test_pagination_block_and_bounds(auth_client):
    UserFactory.create_batch(59)  # 60 with the signed-in user
    emails = sorted(User.objects.values_list("email", flat=True))

    default = auth_client.get("/api/test/emails").json()
    page = auth_client.get("/api/test/emails?limit=10&offset=55").json()

    assert default["pagination"] == {"total": 60, "limit": 50, "offset": 0}
    assert default["emails"] == emails[:50]
    assert page["emails"] == emails[55:]
    assert page["pagination"] == {"total": 60, "limit": 10, "offset": 55}


@pytest.mark.urls("tests.infinitestories.api.urls")
@pytest.mark.parametrize("query", ["limit=101", "limit=0", "limit=abc", "offset=-1"])
def test_bad_pagination_parameters_get_400(auth_client, query):
    body = assert_envelope(auth_client.get(f"/api/test/emails?{query}"), 400, "VALIDATION_ERROR")
    assert set(body["details"]) & {"limit", "offset"}


def test_ids_are_opaque_and_not_sequential():
    ids = {new_id("hero") for _ in range(1000)}

    assert len(ids) == 1000
    assert all(i.startswith("hero_") and len(i) == 27 for i in ids)


# --- rate limits -----------------------------------------------------------------------------


def test_sixth_signup_from_one_ip_within_the_hour_gets_429_with_headers(client, settings):
    settings.RATE_LIMITS = "signup=5/h"
    for n in range(5):
        ok = client.post(
            "/api/auth/signup", {**SIGNUP, "email": f"p{n}@example.com"}, format="json"
        )
        assert ok.status_code == 201
        assert ok["X-RateLimit-Limit"] == "5"
        assert ok["X-RateLimit-Remaining"] == str(4 - n)

    response = client.post("/api/auth/signup", {**SIGNUP, "email": "p6@example.com"}, format="json")

    body = assert_envelope(response, 429, "RATE_LIMITED")
    assert 0 < int(response["Retry-After"]) <= 3600
    assert response["X-RateLimit-Limit"] == "5"
    assert response["X-RateLimit-Remaining"] == "0"
    assert 0 < int(response["X-RateLimit-Reset"]) <= 3600
    assert body["details"]["limit"] == "signup"
    assert User.objects.count() == 5


def test_signup_limit_is_per_ip(client, settings):
    settings.RATE_LIMITS = "signup=5/h"
    for n in range(5):
        client.post("/api/auth/signup", {**SIGNUP, "email": f"p{n}@example.com"}, format="json")

    other_ip = client.post(
        "/api/auth/signup",
        {**SIGNUP, "email": "q@example.com"},
        format="json",
        REMOTE_ADDR="10.9.8.7",
    )

    assert other_ip.status_code == 201


def test_behind_a_proxy_the_limit_counts_the_address_the_proxy_saw(client, settings):
    """The client writes the left of X-Forwarded-For; only the right-most entry is trustworthy."""
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    settings.RATE_LIMITS = "signup=5/h"
    statuses = [
        client.post(
            "/api/auth/signup",
            {**SIGNUP, "email": f"p{n}@example.com"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7",  # a forged left part each time
        ).status_code
        for n in range(6)
    ]

    assert statuses == [201] * 5 + [429]


def test_login_limit_is_ten_an_hour_per_account(client):
    for _ in range(10):
        assert (
            client.post(
                "/api/auth/login", {"email": "a@b.co", "password": "x"}, format="json"
            ).status_code
            == 401
        )

    response = client.post("/api/auth/login", {"email": "a@b.co", "password": "x"}, format="json")

    assert_envelope(response, 429, "RATE_LIMITED")


def test_api_limit_counts_per_user(auth_client, other_client, settings):
    settings.RATE_LIMITS = "api=3/m"

    for _ in range(3):
        assert auth_client.get("/api/auth/session").status_code == 200
    limited = auth_client.get("/api/auth/session")

    assert_envelope(limited, 429, "RATE_LIMITED")
    assert other_client.get("/api/auth/session").status_code == 200


def test_rate_limits_env_overrides_named_limits(settings):
    settings.RATE_LIMITS = "signup=100/h, api=1000/m"

    assert ratelimit.policy("signup").rate == "100/h"
    assert ratelimit.policy("api").rate == "1000/m"
    assert ratelimit.policy("login_account").rate == "10/h"


@pytest.mark.parametrize("value", ["nosuch=1/m", "signup=fast"])
def test_bad_rate_limits_env_stops_with_a_clear_error(settings, value):
    settings.RATE_LIMITS = value

    with pytest.raises(ImproperlyConfigured):
        ratelimit.policy("signup")


@pytest.mark.servers
def test_signup_limit_holds_across_processes_sharing_the_cache(client, settings):
    """Three signups counted by another process leave this one two before the limit."""
    assert django_settings.REDIS_URL, "this test needs the shared Redis cache (CI sets REDIS_URL)"
    script = (
        "import django; django.setup();"
        "from django.test import RequestFactory;"
        "from infinitestories.api import ratelimit;"
        "request = RequestFactory().post('/api/auth/signup', REMOTE_ADDR='127.0.0.1');"
        "request.user = None;"
        "[ratelimit.hit(request, 'signup') for _ in range(3)]"
    )
    settings.RATE_LIMITS = "signup=5/h"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings_test",
        "RATE_LIMITS": settings.RATE_LIMITS,
    }
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=60)

    statuses = [
        client.post(
            "/api/auth/signup", {**SIGNUP, "email": f"p{n}@example.com"}, format="json"
        ).status_code
        for n in range(3)
    ]

    assert statuses == [201, 201, 429]


# --- schema (the health endpoints: test_health.py) --------------------------------------------


def test_openapi_schema_is_served_in_camel_case(client):
    response = client.get("/api/schema", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert "/api/auth/signup" in schema["paths"]
