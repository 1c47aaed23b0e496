"""The runbook's key rotation (docs/operations.md): with the old DJANGO_SECRET_KEY moved to
DJANGO_SECRET_KEY_FALLBACKS, a reset link e-mailed before the rotation still works, and the
families' bearer sessions (random, hashed, not signed) are untouched."""

import os
import re
import subprocess
import sys

import pytest
from django.core import mail

from tests.accounts.factories import UserFactory
from tests.helpers import client_for

NEW_PASSWORD = "BrandNew123"


def _reset_link(client) -> tuple[str, str]:
    UserFactory(email="parent@example.com")
    client.post("/api/auth/password/reset", {"email": "parent@example.com"}, format="json")
    return re.search(r"/auth/reset-password/([^/\s]+)/(\S+)", mail.outbox[-1].body).groups()


def _confirm(client, uid: str, token: str):
    return client.post(
        "/api/auth/password/reset/confirm",
        {"uid": uid, "token": token, "newPassword1": NEW_PASSWORD, "newPassword2": NEW_PASSWORD},
        format="json",
    )


# Without the old key the link no longer names a live reset: 404, as any wrong link.
@pytest.mark.parametrize(("fallbacks", "status"), [(True, 200), (False, 404)])
def test_a_reset_link_outlives_a_key_rotation_only_with_the_old_key_as_fallback(
    client, settings, fallbacks, status
):
    old_key = settings.SECRET_KEY
    uid, token = _reset_link(client)

    settings.SECRET_KEY = "a-brand-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key] if fallbacks else []

    assert _confirm(client, uid, token).status_code == status


def test_bearer_sessions_survive_a_key_rotation(user, settings):
    api = client_for(user)

    settings.SECRET_KEY = "a-brand-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = []

    assert api.get("/api/auth/session").status_code == 200


def test_the_fallbacks_come_from_the_environment():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings_test",
        "DJANGO_SECRET_KEY_FALLBACKS": "old-key-one,old-key-two",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.SECRET_KEY_FALLBACKS)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "['old-key-one', 'old-key-two']"
