"""accounts.apple: claims Apple signed but no account can keep (an e-mail too long for the
column, a NUL byte) are refused or left out, never a database error (500)."""

import time

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.fakes import apple_server
from tests.helpers import client_for


def token(fake, **claims) -> str:
    now = int(time.time())
    base = {
        "iss": apple_server.APPLE_ISSUER,
        "aud": apple_server.CLIENT_ID,
        "exp": now + 600,
        "iat": now,
        "sub": "001234.odd.0001",
    }
    return fake.sign(base | claims)


@pytest.mark.parametrize("email", ["x" * 300 + "@example.com", "a\x00b@example.com", "nobody"])
def test_an_email_no_account_can_keep_is_as_if_none_was_sent(apple_configured, db, email):
    answer = APIClient().post(
        "/api/auth/apple", {"identityToken": token(apple_configured, email=email)}, format="json"
    )

    assert answer.status_code == 201, answer.json()
    user = User.objects.get(apple_id="001234.odd.0001")
    assert email not in user.email


@pytest.mark.parametrize("email", ["x" * 300 + "@example.com", "a\x00b@example.com"])
def test_linking_with_such_an_email_is_no_500(apple_configured, db, email):
    api = client_for(UserFactory())

    answer = api.post(
        "/api/auth/apple/link",
        {"identityToken": token(apple_configured, email=email)},
        format="json",
    )

    assert answer.status_code == 200, answer.json()


def test_a_sub_with_a_nul_byte_is_a_refused_token(apple_configured, db):
    answer = APIClient().post(
        "/api/auth/apple",
        {"identityToken": token(apple_configured, sub="001234\x00odd")},
        format="json",
    )

    assert answer.status_code == 401
    assert answer.json()["code"] == "APPLE_TOKEN_INVALID"
