"""Limits per address, per account and per user, named and set from RATE_LIMITS, answered 429 in
the envelope with the headers a client backs off by, and shared by every process through Redis
(infinitestories.api.ratelimit)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from accounts.models import User
from infinitestories.api import ratelimit
from tests.helpers import SIGNUP, assert_envelope, login, signup


def test_sixth_signup_from_one_ip_within_the_hour_gets_429_with_headers(client, settings):
    settings.RATE_LIMITS = "signup=5/h"
    for n in range(5):
        ok = signup(client, email=f"p{n}@example.com")
        assert ok.status_code == 201
        assert ok["X-RateLimit-Limit"] == "5"
        assert ok["X-RateLimit-Remaining"] == str(4 - n)

    response = signup(client, email="p6@example.com")

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
        signup(client, email=f"p{n}@example.com")

    other_ip = signup(client, email="q@example.com", remote_addr="10.9.8.7")

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
        assert login(client, "a@b.co", "x").status_code == 401

    response = login(client, "a@b.co", "x")

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

    statuses = [signup(client, email=f"p{n}@example.com").status_code for n in range(3)]

    assert statuses == [201, 201, 429]
